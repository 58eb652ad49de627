"""Tables and plots of metrics results: the bench's markdown and PNGs, the clip report's PNG and text."""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from math import nan
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from vidiff.errors import OutputError  # noqa: E402
from vidiff.io.writer import write_atomically  # noqa: E402


def _fmt(x: Any, digits: int = 2) -> str:
    if x is None:
        return "–"
    if isinstance(x, float):
        return f"{x:.{digits}f}"
    return str(x)


def _factor_name(rec: dict[str, Any]) -> str:
    f = rec["factor"]
    return f"x{f}" if isinstance(f, int) else f"x{f:g} (keep {rec['keep_ratio']})"


def _groups(records: Sequence[dict[str, Any]], key: str) -> list[Any]:
    return list(dict.fromkeys(r[key] for r in records))


def _factor_groups(records: Sequence[dict[str, Any]]) -> list[Any]:
    return sorted(_groups(records, "factor"), key=float)


def markdown(records: Sequence[dict[str, Any]], header: Sequence[str] = ()) -> str:
    """The bench's markdown: per factor a PSNR pivot (clip × method) and a detail table; skips listed."""
    lines = ["# vidiff bench: held-out-frame protocol (BENCHMARK.md)", ""]
    lines += [*header, ""] if header else []
    methods = _groups(records, "method")
    for factor in _factor_groups(records):
        recs = [r for r in records if r["factor"] == factor]
        name = _factor_name(recs[0])
        lines += [f"## {name}: PSNR (dB), mean over held-out frames", ""]
        lines += ["| clip | " + " | ".join(methods) + " |", "| --- |" + " --- |" * len(methods)]
        for clip in _groups(recs, "clip"):
            cells = []
            for m in methods:
                r = next((r for r in recs if r["clip"] == clip and r["method"] == m), None)
                cells.append("–" if r is None else _fmt(r["psnr"]) if r["status"] == "ok" else r["status"])
            r0 = next(r for r in recs if r["clip"] == clip)
            size = f" ({r0['width']}x{r0['height']})" if r0.get("width") else ""
            lines.append(f"| {clip}{size} | " + " | ".join(cells) + " |")
        if not any(r["status"] == "ok" for r in recs):
            lines.append("")
            continue
        lines += ["", f"### {name}: details", ""]
        lines += [
            "| clip | method | PSNR | SSIM | flicker ratio | tdiff err | s/frame | × DIS time | peak RSS MB "
            "| frames | PSNR by t |",
            "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
        ]
        for r in recs:
            if r["status"] != "ok":
                continue
            by_t = ", ".join(f"{p['t']:.3g}: {p['psnr']:.2f}" for p in r["per_t"])
            lines.append(
                f"| {r['clip']} | {r['method']} | {_fmt(r['psnr'])} | {_fmt(r['ssim'], 4)} | "
                f"{_fmt(r['flicker_ratio'], 3)} | {_fmt(r['tdiff_err'])} | {_fmt(r['s_per_frame'], 4)} | "
                f"{_fmt(r['speed_ratio_vs_dis'])} | {_fmt(r['peak_rss_mb'], 0)} | {r['n_frames']} | {by_t} |"
            )
        lines.append("")
    skipped = [r for r in records if r["status"] != "ok"]
    if skipped:
        lines += ["## Not run", ""]
        seen = set()
        for r in skipped:
            key = (r["method"], r["reason"])
            if key in seen:
                continue
            seen.add(key)
            lines.append(f"- {r['method']} ({r['status']}): {r['reason']}")
        lines.append("")
    return "\n".join(lines)


def plot_psnr_by_t(records: Sequence[dict[str, Any]], path: str | os.PathLike[str]) -> None:
    """Grid of clips (rows) × factors (columns): PSNR against t, one line per method."""
    ok = [r for r in records if r["status"] == "ok"]
    clips, factors, methods = _groups(ok, "clip"), _factor_groups(ok), _groups(ok, "method")
    if not ok:
        return
    fig, axes = plt.subplots(
        len(clips), len(factors), figsize=(4.2 * len(factors), 3.2 * len(clips)), squeeze=False
    )
    colors = {m: f"C{i}" for i, m in enumerate(methods)}
    for i, clip in enumerate(clips):
        for j, factor in enumerate(factors):
            ax = axes[i][j]
            for r in ok:
                if r["clip"] == clip and r["factor"] == factor:
                    ts = [p["t"] for p in r["per_t"]]
                    ax.plot(
                        ts,
                        [p["psnr"] for p in r["per_t"]],
                        "o-",
                        color=colors[r["method"]],
                        label=r["method"],
                    )
                    fname = _factor_name(r)
            ax.set_title(f"{clip} {fname}", fontsize=10)
            ax.set_xlim(0, 1)
            ax.set_xlabel("t between kept frames")
            ax.set_ylabel("PSNR (dB)")
            ax.grid(alpha=0.3)
    handles = [plt.Line2D([], [], color=colors[m], marker="o", label=m) for m in methods]
    fig.legend(handles=handles, loc="upper center", ncol=len(methods), frameon=False)
    fig.tight_layout(rect=(0, 0, 1, 1 - 0.35 / (3.2 * len(clips))))
    _save(fig, path)


def plot_psnr_by_method(records: Sequence[dict[str, Any]], path: str | os.PathLike[str]) -> None:
    """One panel per factor: grouped bars of PSNR, clips on the x axis, one bar per method."""
    ok = [r for r in records if r["status"] == "ok"]
    if not ok:
        return
    clips, factors, methods = _groups(ok, "clip"), _factor_groups(ok), _groups(ok, "method")
    fig, axes = plt.subplots(
        1, len(factors), figsize=(1.2 + 1.6 * len(clips) * len(factors) + 1.5, 3.8), squeeze=False
    )
    width = 0.8 / len(methods)
    for j, factor in enumerate(factors):
        ax = axes[0][j]
        fname = ""
        for k, m in enumerate(methods):
            xs, ys = [], []
            for c, clip in enumerate(clips):
                r = next(
                    (r for r in ok if r["clip"] == clip and r["factor"] == factor and r["method"] == m), None
                )
                if r is not None:
                    xs.append(c + (k - (len(methods) - 1) / 2) * width)
                    ys.append(r["psnr"])
                    fname = _factor_name(r)
            bars = ax.bar(xs, ys, width, label=m, color=f"C{k}")
            ax.bar_label(bars, fmt="%.1f", fontsize=6, rotation=90, padding=2)
        ax.set_xticks(range(len(clips)), clips, fontsize=8)
        ax.set_title(fname)
        ax.set_ylabel("PSNR (dB)")
        lo = min(r["psnr"] for r in ok)
        ax.set_ylim(max(0.0, lo - 3), max(r["psnr"] for r in ok) + 3)
        ax.grid(axis="y", alpha=0.3)
    axes[0][-1].legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    fig.tight_layout()
    _save(fig, path)


def write_bench(
    records: Sequence[dict[str, Any]], out_dir: str | os.PathLike[str], header: Sequence[str] = ()
) -> list[Path]:
    """results.json, results.md, psnr_by_t.png and psnr_by_method.png in `out_dir` (created)."""
    out = Path(out_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise OutputError(f"{out}: cannot create the output folder ({e.strerror or e})") from None
    files = [out / "results.json", out / "results.md", out / "psnr_by_t.png", out / "psnr_by_method.png"]
    _write_text(files[0], json.dumps(list(records), indent=1) + "\n")
    _write_text(files[1], markdown(records, header))
    plot_psnr_by_t(records, files[2])
    plot_psnr_by_method(records, files[3])
    return [f for f in files if f.exists()]


_TRANSITION = ("warp_err", "flicker")
KIND_COLORS = {  # defects on the clip plot
    "black": "0.15",
    "frozen": "tab:blue",
    "duplicate": "tab:cyan",
    "flicker": "tab:orange",
    "corrupt": "tab:red",
    "jump": "tab:purple",
    "fade": "0.75",  # an event, not a defect: shaded as such
}


def plot_clip(report: dict[str, Any], path: str | os.PathLike[str]) -> None:
    """Per-frame curves of a clip report: warping error and flicker (and PSNR, SSIM with a reference)."""
    s, rows = report["summary"], report["frames"]
    t = [r["time"] for r in rows]
    panels = [("warp_err", "warping error\n(0-255)"), ("flicker", "flicker |ΔF|\n(0-255)")]
    if "psnr" in s:
        panels += [("psnr", "PSNR vs ref (dB)"), ("ssim", "SSIM vs ref")]
    fig, axes = plt.subplots(
        len(panels), 1, figsize=(10, 2.2 * len(panels) + 0.6), sharex=True, squeeze=False
    )
    for ax, (key, label) in zip(axes[:, 0], panels, strict=True):
        # transitions across a scene cut are gaps in the curve: they would flatten its scale
        ys = [
            r[key] if r.get(key) is not None and not (r["cut"] and key in _TRANSITION) else nan for r in rows
        ]
        ax.plot(t, ys, lw=1.2, color="C1" if key == "flicker" else "C0")
        for seg in s["worst_segments"]:
            ax.axvspan(
                seg["start"],
                seg["end"] if seg["end"] > seg["start"] else seg["start"] + 1e-3,
                color="0.5",
                alpha=0.15,
            )
        for c in s["scene_cuts"]:
            ax.axvline(c, color="0.4", ls="--", lw=0.8)
        _mark_defects(ax, s.get("defects", []) + s.get("fades", []), t)
        ax.set_ylabel(label, fontsize=9)
        ax.grid(alpha=0.3)
    for k, seg in enumerate(s["worst_segments"]):
        axes[0, 0].annotate(f"#{k + 1}", (seg["peak_time"], seg["warp_err"]), fontsize=8, color="C3",
                            xytext=(3, 3), textcoords="offset points")  # fmt: skip
    axes[-1, 0].set_xlabel("time (s)")
    title = f"{Path(s['input']).name}: {s['width']}x{s['height']}, {float(eval_fps(s['fps'])):.3g} fps, {s['n_frames']} frames"
    fig.suptitle(
        title
        + "\ngrey: worst segments (by warping error); dashed: scene cuts; colours: defects, light grey: fades",
        fontsize=10,
    )
    kinds = list(dict.fromkeys(d["kind"] for d in s.get("defects", []) + s.get("fades", [])))
    if kinds:
        handles = [plt.Rectangle((0, 0), 1, 1, color=KIND_COLORS.get(k, "C7"), alpha=0.5) for k in kinds]
        axes[0, 0].legend(handles, kinds, fontsize=8, loc="upper right", ncol=len(kinds))
    fig.tight_layout()
    _save(fig, path)


def _mark_defects(ax: plt.Axes, defects: list[dict[str, Any]], times: list[float]) -> None:
    """A band over each defective frame (a frame wide), coloured by kind: a flicker burst shows which."""
    step = float(min(b - a for a, b in zip(times, times[1:], strict=False))) if len(times) > 1 else 1.0
    for d in defects:
        for f in d["frames"]:
            t = times[f] if f < len(times) else d["start"]
            ax.axvspan(t - step / 2, t + step / 2, color=KIND_COLORS.get(d["kind"], "C7"), alpha=0.35, lw=0)


def eval_fps(fps: str) -> float:
    """'30000/1001' -> 29.97."""
    num, _, den = fps.partition("/")
    return float(num) / float(den or 1)


def clip_text(report: dict[str, Any]) -> str:
    """Human-readable summary of a clip report."""
    s = report["summary"]
    lines = [
        f"{s['input']}: {s['width']}x{s['height']}, {eval_fps(s['fps']):.3f} fps, {s['n_frames']} frames, "
        f"{s['duration']:.2f} s",
        f"  warping error  {_fmt(s['warp_err'])} mean, {_fmt(s['warp_err_median'])} median, "
        f"{_fmt(s['warp_err_p95'])} p95  (0-255; {_fmt(100 * s['warp_valid'] if s['warp_valid'] is not None else None, 0)}% "
        "of pixels pass the flow check)",
        f"  flicker        {_fmt(s['flicker'])} mean |F(i+1) - F(i)| (0-255)",
    ]
    if "psnr" in s:
        lines += [
            f"  vs reference   PSNR {_fmt(s['psnr'])} dB, SSIM {_fmt(s['ssim'], 4)}, "
            f"flicker ratio {_fmt(s['flicker_ratio'], 3)}, tdiff err {_fmt(s['tdiff_err'])}",
        ]
    if s["scene_cuts"]:
        lines.append(
            "  scene cuts at  "
            + ", ".join(f"{c:.2f}s" for c in s["scene_cuts"])
            + " (left out of the figures)"
        )
    if s.get("fades"):
        lines.append(
            "  fades          " + "; ".join(fade_text(d) for d in s["fades"]) + " (left out of the figures)"
        )
    if s.get("defects"):
        lines.append("  defects (vidiff infill --auto repairs those with a repair named):")
        lines += [f"    {defect_line(d)}" for d in s["defects"]]
    if s["worst_segments"]:
        lines.append("  worst segments (by warping error):")
        for k, seg in enumerate(s["worst_segments"], 1):
            ratio = f", {seg['x_median']:.1f}x median" if seg["x_median"] else ""
            lines.append(
                f"    #{k} {_ts(seg['start'])} - {_ts(seg['end'])}  frames {seg['frames'][0]}-{seg['frames'][1]}  "
                f"peak {seg['warp_err']:.2f} at {_ts(seg['peak_time'])}{ratio}"
            )
    lines += [f"  note: {n}" for n in s["notes"]]
    return "\n".join(lines)


def frames_text(frames: Sequence[int]) -> str:
    """[20, 21, 22] -> 'frames 20-22'; [7] -> 'frame 7'; [3, 5, 7] -> 'frames 3, 5, 7'."""
    if len(frames) == 1:
        return f"frame {frames[0]}"
    if list(frames) == list(range(frames[0], frames[-1] + 1)):
        return f"frames {frames[0]}-{frames[-1]}"
    return "frames " + ", ".join(map(str, frames))


def fade_text(d: dict[str, Any]) -> str:
    """A fade event in a few words: 'dip to black, frames 15-35 at 0.60-1.40s'."""
    return f"{d['detail'].partition(':')[0]}, {frames_text(d['frames'])} at {d['start']:.2f}-{d['end']:.2f}s"


def defect_line(d: dict[str, Any]) -> str:
    """One defect on one line: kind, frames, time span, confidence, why (and the repair, if any)."""
    span = f"{d['start']:.2f}s" if d["end"] == d["start"] else f"{d['start']:.2f}-{d['end']:.2f}s"
    rep = f" [repair: {d['repair']}]" if d.get("repair") else ""
    return f"{d['kind']:<9} {frames_text(d['frames'])} at {span}, confidence {d['confidence']:.2f}: {d['detail']}{rep}"


def _ts(seconds: float) -> str:
    m, s = divmod(seconds, 60.0)
    return f"{int(m)}:{s:06.3f}"


def _write_text(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.partial")
    tmp.write_text(text)
    os.replace(tmp, path)


def _save(fig: plt.Figure, path: str | os.PathLike[str]) -> None:
    path = Path(path)
    if path.suffix.lower() != ".png":
        plt.close(fig)
        raise OutputError(f"{path}: plots are written as PNG; use a .png name")
    if not path.parent.is_dir():
        plt.close(fig)
        raise OutputError(f"{path}: folder {path.parent} does not exist")
    try:  # under a temporary name, then renamed: the plot appears only whole
        write_atomically(path, lambda tmp: fig.savefig(tmp, dpi=110, format="png"))
    finally:
        plt.close(fig)
