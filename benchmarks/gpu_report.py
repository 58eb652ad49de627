#!/usr/bin/env python
"""The GPU check's tables (gpu_check.md) from its figures (gpu_check.json): `report(res)` for
benchmarks/gpu_check.py, and `python benchmarks/gpu_report.py gpu_check.json` to print them again."""

from __future__ import annotations

import json
import sys


def fmt(d: dict, key: str, spec: str = ".4f") -> str:
    v = d.get(key)
    return format(v, spec) if isinstance(v, (int, float)) else "–"


def report(res: dict) -> list[str]:
    """The markdown lines of the check's tables (parts missing from `res` are left out)."""
    pipes = [r["pipeline"] for r in res["sizes"].values() if "src_frames" in r.get("pipeline", {})]
    n_src = pipes[0]["src_frames"] if pipes else "?"
    lines = [
        "# vidiff GPU check",
        "",
        f"Command: `{res['command']}`",
        "",
        f"Device: {res['gpu']}; torch {res['torch']}; Python {res['python']}; "
        f"whole check {res.get('seconds', 0):.0f} s"
        + ("; DRY RUN (--small: small sizes, few frames)" if res["small"] else ""),
        f"Inputs: {res['inputs']}. Network connections attempted: {res['network_attempts']}",
        "",
        "Seconds per made frame (window of 8 pairs; RIFE one pair at a time, as `--method rife` runs):",
        "",
        "| size | stack | RIFE | default (fp32) | / RIFE | default bf16 | / RIFE | DIS + RIFE stack | / RIFE "
        "| prior stack | rest | its DIS a pair (graphs / eager) |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    errors = []
    for label, r in res["sizes"].items():
        s = r.get("speed", {})
        if "error" in s:
            errors.append(f"{label} speed: {s['error']}")
        lines.append(
            f"| {label} | {s.get('stack', '–')} | {fmt(s, 'rife_s_per_frame')} | {fmt(s, 'default_s_per_frame')} "
            f"| {fmt(s, 'default_over_rife', '.2f')} | {fmt(s, 'bf16_s_per_frame')} | {fmt(s, 'bf16_over_rife', '.2f')} "
            f"| {fmt(s, 'dis_stack_s_per_frame')} | {fmt(s, 'dis_stack_over_rife', '.2f')} "
            f"| {fmt(s, 'stage_prior_stack_s')} | {fmt(s, 'stage_rest_s')} "
            f"| {fmt(s, 'dis_s_per_pair')} / {fmt(s, 'dis_eager_s_per_pair')}"
            f"{'' if s.get('dis_graphs', True) else ' (graphs off)'} |"
        )
    lines += ["", "Interpolated frames a second: the model step against the whole `vidiff upscale` x2 "
              f"(decode, dedupe, cuts, model, encode; model load excluded) of {n_src} frames: shipped "
              "(join as the segments finish, quick GIL handoffs), and those of these the run has: with "
              "Python's 5 ms switch interval, with every part decoded back (no tee), the join after the run "
              "with the 5 ms interval (before stop 37), and shipped with `--preset veryfast`:", ""]  # fmt: skip
    cols = [("streaming", "shipped"), ("switch_5ms", "5 ms switch"), ("no_tee", "no tee"),
            ("join_after", "join after, 5 ms"), ("veryfast", "veryfast")]  # fmt: skip
    runs = [r.get("pipeline", {}) for r in res["sizes"].values()]
    cols = [c for c in cols if any(f"{c[0]}_fps" in p for p in runs)]
    lines += ["| size | model step fps | " + " | ".join(f"{c} fps | / step" for _, c in cols) + " |"]
    lines += ["| --- " * (2 + 2 * len(cols)) + "|"]
    for label, r in res["sizes"].items():
        s, p = r.get("speed", {}), r.get("pipeline", {})
        if "error" in p:
            errors.append(f"{label} pipeline: {p['error']}")
        m = s.get("model_step_fps")
        cells = []
        for key, _ in cols:
            v = p.get(f"{key}_fps")
            cells += [fmt(p, f"{key}_fps", ".2f"), f"{v / m:.2f}" if v and m else "–"]
        lines.append(f"| {label} | {fmt(s, 'model_step_fps', '.2f')} | " + " | ".join(cells) + " |")
    lines += _stages(res, errors) + _attention(res, errors) + _quality(res, errors)
    d = res.get("doors")
    if d:
        lines += ["", f"End to end on {res['device']} (the CLI in this process):", ""]
        if "error" in d:
            errors.append(f"doors: {d['error']}")
        else:
            lines += ["| command | exit | seconds | output | plain generate's bytes |", "| --- " * 5 + "|"]
            for v in d.values():
                rc = v["rc"] if not isinstance(v["rc"], dict) else v["rc"]["error"]
                same = {True: "same", False: "other"}.get(v.get("same_bytes_as_generate"), "–")
                lines.append(
                    f"| `vidiff {v['argv']}` | {rc} | {v['seconds']:.1f} | {v.get('output', '–')} | {same} |"
                )
    if "hw_codecs" in res:
        lines += ["", f"PyAV hardware codecs: {json.dumps(res['hw_codecs'])}"]
    if errors:
        lines += ["", "Errors:", ""] + [f"- {e}" for e in errors]
    return lines


def _parts(res: dict, name: str, errors: list[str]):
    """(size, part) of each size that has part `name` without an error; the errors go to `errors`."""
    for label, r in res["sizes"].items():
        part = r.get(name)
        if not part:
            continue
        if "error" in part:
            errors.append(f"{label} {name}: {part['error']}")
            continue
        yield label, part


def _stages(res: dict, errors: list[str]) -> list[str]:
    if not any("stages" in r for r in res["sizes"].values()):
        return []
    names = ["decode_to_rgb", "cuts_and_dedupe", "rgb_to_yuv", "lossless_encode", "lossless_decode",
             "x264_medium", "x264_veryfast"]  # fmt: skip
    lines = ["", "CPU stages one at a time, ms a frame (cores kept busy: CPU time over wall time):", ""]
    lines += ["| size | " + " | ".join(names) + " |", "| --- " * (1 + len(names)) + "|"]
    for label, st in _parts(res, "stages", errors):
        cells = [f"{st[n]['ms']:.1f} ({st[n]['cpu_over_wall']:.1f})" for n in names]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return lines


def _attention(res: dict, errors: list[str]) -> list[str]:
    lines = []
    if any("attention" in r for r in res["sizes"].values()):
        lines += [
            "",
            "| size | U-Net forward, 3-frame window: kernel (s) | max abs diff |",
            "| --- | --- | --- |",
        ]
    for label, a in _parts(res, "attention", errors):
        ks = ", ".join(
            f"{k} {a[f'{k}_s']:.4f}" if f"{k}_s" in a else f"{k}: {a[f'{k}_error'].splitlines()[0]}"
            for k in a["kernels"]
        )
        lines.append(f"| {label} | {ks} | {a.get('max_abs_diff', '–')} |")
    return lines


def _quality(res: dict, errors: list[str]) -> list[str]:
    lines = []
    for label, q in _parts(res, "quality", errors):
        lines += ["", f"Held-out PSNR at {label}, {q['frames']} frames (keep every 2nd):", ""]
        lines += [
            "| path | stack | PSNR | − fp32 GPU path (dB) | PSNR of its frames vs the fp32 GPU path's |"
        ]
        lines += ["| --- | --- | --- | --- | --- |"]
        for name, v in q["variants"].items():
            lines.append(
                f"| {name} | {v['stack']} | {v['psnr']:.3f} | {v['minus_fp32_db']:+.3f} | "
                f"{v['psnr_vs_fp32_frames']:.2f} |"
            )
        prof = res["sizes"][label].get("profile", {})
        if "file" in prof:
            lines += ["", f"Operator profile of one model step at {label}: {prof['file']}"]
        elif "error" in prof:
            errors.append(f"{label} profile: {prof['error']}")
    return lines


if __name__ == "__main__":
    with open(sys.argv[1]) as f:
        print("\n".join(report(json.load(f))))
