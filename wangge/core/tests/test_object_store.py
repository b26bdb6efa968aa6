"""Photos in an S3-compatible object store (moto's server, a real S3 API on a local port, standing in for
阿里云 OSS, 腾讯云 COS or MinIO): a photo taken through the page lands in the bucket as a private object;
the photo's page, once it has checked who asks, answers with a redirect to a signed URL that expires
in a minute; the object without a signature is refused; a worker of another grid gets no URL at all."""

from __future__ import annotations

import socket
import urllib.error
import urllib.request
import uuid
from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import reverse

from testkit import grid_worker
from wangge.cases.models import CasePhoto
from wangge.cases.tests.helpers import inside, photo
from wangge.settings import object_store

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def s3_endpoint():
    from moto.server import ThreadedMotoServer

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture
def bucket(s3_endpoint, settings):
    import boto3

    name = f"wangge-{uuid.uuid4().hex[:12]}"
    environ = {
        "WANGGE_S3_BUCKET": name,
        "WANGGE_S3_ENDPOINT_URL": s3_endpoint,
        "WANGGE_S3_ACCESS_KEY": "test",
        "WANGGE_S3_SECRET_KEY": "test",
        "WANGGE_S3_REGION": "us-east-1",
    }
    client = boto3.client(
        "s3",
        endpoint_url=s3_endpoint,
        aws_access_key_id="test",
        aws_secret_access_key="test",
        region_name="us-east-1",
    )
    client.create_bucket(Bucket=name)
    settings.S3_BUCKET = name
    settings.STORAGES = {**settings.STORAGES, "default": object_store(environ)}
    return client, name


def _fetch(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, b""


def test_a_photo_goes_to_the_bucket_and_is_shown_through_a_signed_url_only_to_those_who_may(
    client, town, bucket
):
    s3, name = bucket
    worker = grid_worker(town.units[0])
    client.force_login(worker)
    lon, lat = inside(town.units[0])
    form = {"category": "garbage_dumping", "description": "路边垃圾", "lon": lon, "lat": lat}
    assert client.post(reverse("cases:new"), {**form, "photos": [photo()]}).status_code == 302
    [stored] = CasePhoto.objects.all()
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=name).get("Contents", [])]
    assert keys == [stored.image.name]  # in the bucket, not on the app server's disk
    grants = s3.get_object_acl(Bucket=name, Key=keys[0])["Grants"]
    assert [g["Grantee"].get("URI") for g in grants if "URI" in g["Grantee"]] == []  # nobody public

    shown = client.get(reverse("cases:photo", args=[stored.pk]))
    assert shown.status_code == 302 and "no-store" in shown["Cache-Control"]
    signed = shown["Location"]
    query = parse_qs(urlsplit(signed).query)
    assert signed.startswith(f"{s3.meta.endpoint_url}/{name}/") or f"{name}." in urlsplit(signed).netloc
    assert query["X-Amz-Expires"] == ["60"] and "X-Amz-Signature" in query
    status, body = _fetch(signed)
    assert status == 200 and body[:2] == b"\xff\xd8"  # the JPEG itself
    assert _fetch(signed.split("?")[0])[0] == 403  # the object without a signature: refused

    client.force_login(grid_worker(town.units[7]))  # another grid's worker
    refused = client.get(reverse("cases:photo", args=[stored.pk]))
    assert refused.status_code == 404 and "Location" not in refused
