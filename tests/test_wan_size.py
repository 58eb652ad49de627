"""Wan 2.1 720P weights make 1280x720 keyframes by default (`vidiff.generate.backends.wan_size`): the
transformer's config first (FLF2V), then a `--transformer` file's name, then the weights' name; 832x480
when nothing says; `--keyframe-size` still overrides. Tiny random pipelines saved under such names."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_single_file import comfy_file
from tiny_pipes import TINY_GENERATE, generate_json, wan_dir, wan_i2v_dir

from vidiff.generate.backends import resolve
from vidiff.generate.backends.wan_size import wan21_tier

pytest.importorskip("transformers")


@pytest.fixture(scope="module")
def folders(tmp_path_factory) -> dict[str, Path]:
    """One tiny Wan 2.1 I2V and one FLF2V-shaped folder, linked under the names the tests give them
    (480P at 16:9 is 832x480's area: 848x480)."""
    root = tmp_path_factory.mktemp("wan_size")
    return {"i2v": wan_i2v_dir(root / "i2v"), "flf2v": wan_i2v_dir(root / "flf2v", flf2v=True), "root": root}


@pytest.mark.parametrize(
    ("shape", "name", "landscape", "portrait"),
    [
        ("i2v", "Wan2.1-I2V-14B-720P-Diffusers", (1280, 720), (720, 1280)),
        ("i2v", "wan_i2v_720p", (1280, 720), (720, 1280)),
        ("i2v", "Wan2.1-I2V-14B-480P-Diffusers", (848, 480), (480, 848)),
        ("i2v", "wan-i2v", (848, 480), (480, 848)),  # nothing says: Wan 2.1's 480P
        ("i2v", "wan-720-480p-720p", (848, 480), (480, 848)),  # says both: nothing
        ("i2v", "models--Wan-AI--Wan2.1-I2V-14B-720P-Diffusers/snapshots/0123abcd", (1280, 720), (720, 1280)),
        ("flf2v", "flf", (1280, 720), (720, 1280)),  # the config says: FLF2V is 720P only
        ("flf2v", "Wan2.1-FLF2V-480P", (1280, 720), (720, 1280)),  # the config before the name
    ],
)
def test_the_default_keyframe_size_follows_the_720p_rule(folders, shape, name, landscape, portrait):
    link = folders["root"] / name
    if not link.exists():
        link.parent.mkdir(parents=True, exist_ok=True)
        link.symlink_to(folders[shape], target_is_directory=True)
    b = resolve("auto", str(link))
    assert (b.size(16 / 9), b.size(9 / 16)) == (landscape, portrait)
    assert b.size(16 / 9, (64, 32)) == (64, 32)  # keyframe_size overrides
    assert b.fps == 16 and b.window == 81  # 720P changes the size only


def test_a_hub_id_and_a_transformer_files_name_say_720p():
    """The hub id's repository name; a transformer file's name before the weights' (the file is what
    runs); names that disagree at one step say nothing."""
    assert wan21_tier(None, "Wan-AI/Wan2.1-I2V-14B-720P-Diffusers")[0] == "720p"
    assert wan21_tier(None, "Wan-AI/Wan2.1-T2V-14B-Diffusers") is None
    assert wan21_tier(None, "x-480P", ["/m/wan2.1_i2v_720p_14B_fp16.safetensors"])[0] == "720p"
    assert wan21_tier(None, "x-480P", ["a_720p.safetensors", "b_480p.safetensors"])[0] == "480p"
    assert wan21_tier({"image_dim": None, "pos_embed_seq_len": None}, "wan") is None
    assert wan21_tier(None, "SkyReels-V2-I2V-14B-540P") is None  # 540P is no Wan 2.1 size


def test_a_comfyui_720p_transformer_file_is_reported_and_keyframe_size_still_wins(tmp_path, capsys):
    """`--transformer wan2.1_t2v_720p_...safetensors` on a folder that says nothing: the report names the
    720P variant and why; the keyframes keep the size asked for."""
    weights = wan_dir(tmp_path / "wan")
    file = comfy_file(weights, tmp_path / "wan2.1_t2v_720p_tiny.safetensors")
    rc, rep = generate_json(capsys, tmp_path / "o.mp4", weights, *TINY_GENERATE, "--transformer", str(file))
    assert rc == 0, rep
    assert rep["variant"] == "Wan 2.1 720P", rep
    assert rep["native_size"] == "720P: the transformer file's name says 720P"
    assert rep["keyframe_size"] == [32, 32]


@pytest.mark.parametrize(
    ("weights", "files", "size", "fact"),
    [
        ("Skywork/SkyReels-V2-I2V-14B-720P-Diffusers", [], (1280, 720), "720P: the weights' name says 720P"),
        ("Skywork/SkyReels-V2-T2V-14B-540P-Diffusers", [], (960, 544), "540P: the weights' name says 540P"),
        ("/models/skyreels", [], (960, 544), None),
        ("/models/skyreels-540P", ["/c/SkyReels-V2-I2V-14B-720P.safetensors"], (1280, 720), "720P: the tr"),
    ],
)
def test_skyreels_720p_weights_by_their_names(weights, files, size, fact):
    """SkyReels V2's 540P and 720P weights have one shape: the names alone say (a file's first)."""
    from vidiff.generate.backends.skyreels import SkyReelsV2

    b = SkyReelsV2("SkyReelsV2ImageToVideoPipeline", weights)
    b.configure({})
    if files:
        b._size_from_names(files)  # what load() reads from the --transformer files
    assert b.size(16 / 9) == size and b.window == 97
    assert b.report_facts().get("native_size", "").startswith(fact or "") and bool(fact) == bool(b.size_rule)
