"""The video files vidiff takes from a folder of clips, by extension: one list for every door.

A recipe's batch (`vidiff run -i FOLDER/`, `vidiff.runner.recipe`), a training run's footage folder
(`data.clips`, `vidiff.io.random_access.list_clips`) and the web app's upload filter (with the animated
images, `vidiff.ui.widgets.CLIP_TYPES`) take these. The two
lists had drifted apart, and neither held a camcorder's AVCHD files (.MTS, .m2ts) or a phone's .3gp: a
folder of them was "no video files found", or trained on nothing. Also the codec an output's container
takes when none is named (`DEFAULT_CODEC`). Imports nothing (as `image_ext`).
"""

from __future__ import annotations

# lower case, with the dot; a tuple, so `name.lower().endswith(VIDEO_EXT)` works as `suffix in VIDEO_EXT`
VIDEO_EXT: tuple[str, ...] = (
    *(".mp4", ".m4v", ".mov", ".mkv", ".webm", ".avi", ".flv", ".wmv", ".ogv", ".y4m"),
    *(".mpg", ".mpeg", ".vob", ".ts", ".m2ts", ".mts", ".mxf", ".3gp"),  # DVD, broadcast, AVCHD, cameras
    *(".h264", ".264", ".hevc", ".h265"),  # raw streams (random access counts their frames: `counted`)
    ".gif",  # an animated GIF is a clip (an image sequence's frames are never GIFs: `image_ext`)
)
# the codec an output is encoded with when none is named (`auto`): its container's (a .webm holds only vp9
# or av1; `vidiff.io.encode.EncodeOptions.for_output`), else h264, which plays everywhere
DEFAULT_CODEC = "auto"
CONTAINER_CODEC = {".webm": "vp9"}
