#!/usr/bin/python3
"""Packs a directory as a one-layer image in the docker-archive format (`docker save`), which
`ctr images import`, `docker load` and buildah's `docker-archive:` transport read; offline.

    docker-archive.py OUT.tar NAME:TAG ROOTFS_DIR CONFIG_JSON

CONFIG_JSON is the image's run config ({"Entrypoint": [...], "Cmd": [...], "Env": [...]}).
"""
import hashlib
import io
import json
import sys
import tarfile

out, tag, rootfs, run_config = sys.argv[1], sys.argv[2], sys.argv[3], json.loads(sys.argv[4])


def owned_by_root(info):
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    return info


layer = io.BytesIO()
with tarfile.open(fileobj=layer, mode="w", format=tarfile.PAX_FORMAT) as t:
    t.add(rootfs, arcname=".", filter=owned_by_root)
layer_bytes = layer.getvalue()
diff_id = "sha256:" + hashlib.sha256(layer_bytes).hexdigest()

config = json.dumps({
    "architecture": "amd64",
    "os": "linux",
    "config": run_config,
    "rootfs": {"type": "layers", "diff_ids": [diff_id]},
    "history": [{"created_by": "docker-archive.py"}],
}, sort_keys=True).encode()
config_name = hashlib.sha256(config).hexdigest() + ".json"
manifest = json.dumps([{"Config": config_name, "RepoTags": [tag], "Layers": ["layer.tar"]}]).encode()

with tarfile.open(out, mode="w") as t:
    for name, data in ((config_name, config), ("layer.tar", layer_bytes), ("manifest.json", manifest)):
        info = tarfile.TarInfo(name)
        info.size = len(data)
        info.mode = 0o644
        t.addfile(info, io.BytesIO(data))
