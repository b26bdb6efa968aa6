"""Wangge: grid-based community governance (网格化服务管理)."""
