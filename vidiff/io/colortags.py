"""The colour tags an output is written with, and the tags in words (`vidiff probe`).

An output of a YUV video keeps the source's tags (and so its matrix and range, `vidiff.io.color`):
an untagged source stays untagged, so a player shows the output as it showed the input. A source with no
YUV matrix of its own (RGB video: PNG or QuickTime Animation in .mov, x264rgb, FFV1 RGB; an image
sequence; generated frames) is written in BT.709, tagged so (`RGB_SOURCE`): its RGB tags went to the YUV
output as they were, so a PNG-in-MOV clip's output said "matrix: RGB (identity), full range" on 4:2:0
YUV, which H.264 forbids and a player that honours it shows in wrong colours; untagged, BT.601 values
are shown by a player that takes untagged HD as BT.709 (mpv does) with pure green at 216 of 255 (its
BT.601 codes decoded by BT.709).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

UNSPECIFIED = 2  # AVColorSpace / AVColorPrimaries / AVColorTransferCharacteristic "unspecified"
RGB_MATRIX = 0  # AVCOL_SPC_RGB: the identity (GBR), which only an RGB or 4:4:4 stream may carry
# what an output of RGB frames is tagged with (and so converted by): BT.709 in limited range, the tags of
# HD video that every player honours
RGB_SOURCE = {"color_range": 1, "colorspace": 1, "color_primaries": 1, "color_trc": 1}
_RGB_FORMAT = re.compile(r"(rgb|bgr|gbr|argb|abgr|0rgb|0bgr|pal8|gray|ya\d|monow|monob)")

_MATRICES = {1: "BT.709", 4: "FCC", 5: "BT.601", 6: "BT.601", 7: "SMPTE 240M", 9: "BT.2020", 10: "BT.2020c"}
_TRANSFERS = {1: "BT.709", 4: "gamma 2.2", 5: "gamma 2.8", 6: "BT.601", 8: "linear", 13: "sRGB", 14: "BT.2020",
              15: "BT.2020", 16: "PQ (HDR)", 18: "HLG (HDR)"}  # fmt: skip
_PRIMARIES = {1: "BT.709", 5: "BT.601 PAL", 6: "BT.601 NTSC", 9: "BT.2020", 11: "DCI-P3", 12: "Display P3"}


def has_yuv_matrix(pix_fmt: str | None, color: Mapping[str, Any] | None) -> bool:
    """True for a source whose frames are YUV by a matrix (tagged or not): not RGB, grey or an image
    sequence (no colour facts) and not tagged with the identity matrix."""
    if not color or _RGB_FORMAT.match(pix_fmt or ""):
        return False
    return int(color.get("colorspace", UNSPECIFIED)) != RGB_MATRIX


def output_color(
    pix_fmt: str | None = None, color: Mapping[str, Any] | None = None, remade: bool = False
) -> dict[str, int]:
    """The colour tags for an output made from a source of `pix_fmt` with the tags `color` (a
    `VideoInfo`'s; None for generated frames): the source's for a YUV source, else `RGB_SOURCE` with the
    source's primaries and transfer where it states them. `remade`: the frames are made anew at another
    size (a social clip of a clip), which an untagged source's guess (BT.601 for SD, BT.709 for HD in
    most players) does not follow: an untagged source's get `RGB_SOURCE` too."""
    tagged = int((color or {}).get("colorspace", UNSPECIFIED)) != UNSPECIFIED
    if has_yuv_matrix(pix_fmt, color) and (tagged or not remade):
        return {k: int(v) for k, v in (color or {}).items()}
    out = dict(RGB_SOURCE)
    for key in ("color_primaries", "color_trc"):
        given = int((color or {}).get(key, UNSPECIFIED))
        if given not in (UNSPECIFIED, 0):
            out[key] = given
    return out


def describe_color(color: Mapping[str, Any], pix_fmt: str = "") -> str:
    """The tags of a source of `pix_fmt` in words, e.g. "BT.709 matrix, limited range", "untagged (taken
    as BT.601), limited range" or "RGB"; transfer and primaries where they are stated."""
    space = int(color.get("colorspace", UNSPECIFIED))
    if space == RGB_MATRIX or _RGB_FORMAT.match(pix_fmt):
        words = ["RGB"]
    else:
        matrix = (
            "untagged (taken as BT.601)"
            if space == UNSPECIFIED
            else f"{_MATRICES.get(space, f'#{space}')} matrix"
        )
        words = [matrix, "full range" if int(color.get("color_range", 0)) == 2 else "limited range"]
    trc, prim = int(color.get("color_trc", UNSPECIFIED)), int(color.get("color_primaries", UNSPECIFIED))
    if trc != UNSPECIFIED:
        words.append(f"{_TRANSFERS.get(trc, f'#{trc}')} transfer")
    if prim != UNSPECIFIED:
        words.append(f"{_PRIMARIES.get(prim, f'#{prim}')} primaries")
    return ", ".join(words)
