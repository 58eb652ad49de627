"""Short-clip generation: extend a clip, animate a still with camera motion, make a seamless loop."""

from vidiff.generate.motion import MOTIONS, camera_frames
from vidiff.generate.schemes import extend_frames, loop_frames

__all__ = ["MOTIONS", "camera_frames", "extend_frames", "loop_frames"]
