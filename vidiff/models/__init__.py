"""The video model: `VideoUNet3D`, a space-time U-Net over frames at real-valued times."""

from vidiff.models.unet3d import VideoUNet3D

__all__ = ["VideoUNet3D"]
