"""The video model: `VideoUNet3D`, a space-time U-Net over frames at real-valued times (loaded on first
use, so `vidiff.models.paths` costs no torch)."""

from vidiff import lazy_names

__all__ = ["VideoUNet3D"]
__getattr__ = lazy_names(__name__, {"VideoUNet3D": "vidiff.models.unet3d"})
