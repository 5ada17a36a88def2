"""A Pi-class profile for the benchmarks: the server's processes under a CPU cap (cgroup) that
makes this machine's cores as slow as a Raspberry Pi 4's (Cortex-A72, 1.5 GHz).

Calibration (docs/performance.md, "Pi-class profile"): the n-body program of the Computer
Language Benchmarks Game in pure Python, timed here in CPU seconds, against a published Pi 4
figure: 158.26 s for 5,000,000 steps (Pi 4 Model B 4 GB, performance governor at 1.5 GHz,
https://chaitanyamehta.github.io/projects/performance-analysis-of-programming-languages).
`ratio` = Pi seconds / this machine's seconds for the same steps; N Pi cores = N / ratio of
this machine's cores (cpu.max on cgroup v2, cpu.cfs_quota_us on a v1 hierarchy).

    python benchmarks/pi_profile.py                     # calibrate, then check the cap on the same program
    python benchmarks/pi_profile.py --cores 4 -- CMD…   # run CMD (and its children) as a 4-core Pi
"""

from __future__ import annotations

import argparse
import contextlib
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Iterator

PI4_NBODY_S = 158.26  # published, 5,000,000 steps, CPython on a Pi 4 at 1.5 GHz
PI4_NBODY_STEPS = 5_000_000
PERIOD_US = 100_000
V2 = Path("/sys/fs/cgroup")
V1 = Path("/sys/fs/cgroup/cpu")

PI = 3.14159265358979323
SOLAR_MASS = 4 * PI * PI
DAYS_PER_YEAR = 365.24


def bodies() -> list:
    """Sun, Jupiter, Saturn, Uranus, Neptune: the benchmarks game's initial state."""
    d, m = DAYS_PER_YEAR, SOLAR_MASS
    return [
        ([0.0, 0.0, 0.0], [0.0, 0.0, 0.0], m),
        ([4.84143144246472090e+00, -1.16032004402742839e+00, -1.03622044471123109e-01],
         [1.66007664274403694e-03 * d, 7.69901118419740425e-03 * d, -6.90460016972063023e-05 * d],
         9.54791938424326609e-04 * m),
        ([8.34336671824457987e+00, 4.12479856412430479e+00, -4.03523417114321381e-01],
         [-2.76742510726862411e-03 * d, 4.99852801234917238e-03 * d, 2.30417297573763929e-05 * d],
         2.85885980666130812e-04 * m),
        ([1.28943695621391310e+01, -1.51111514016986312e+01, -2.23307578892655734e-01],
         [2.96460137564761618e-03 * d, 2.37847173959480950e-03 * d, -2.96589568540237556e-05 * d],
         4.36624404335156298e-05 * m),
        ([1.53796971148509165e+01, -2.59193146099879641e+01, 1.79258772950371181e-01],
         [2.68067772490389322e-03 * d, 1.62824170038242295e-03 * d, -9.51592254519715870e-05 * d],
         5.15138902046611451e-05 * m),
    ]


def nbody(steps: int, dt: float = 0.01) -> None:
    """The benchmarks game's n-body advance loop (pure Python, one core)."""
    system = bodies()
    pairs = [(system[i], system[j]) for i in range(len(system)) for j in range(i + 1, len(system))]
    for _ in range(steps):
        for (([x1, y1, z1], v1, m1), ([x2, y2, z2], v2, m2)) in pairs:
            dx, dy, dz = x1 - x2, y1 - y2, z1 - z2
            mag = dt * ((dx * dx + dy * dy + dz * dz) ** -1.5)
            b1m, b2m = m1 * mag, m2 * mag
            v1[0] -= dx * b2m
            v1[1] -= dy * b2m
            v1[2] -= dz * b2m
            v2[0] += dx * b1m
            v2[1] += dy * b1m
            v2[2] += dz * b1m
        for (r, [vx, vy, vz], _) in system:
            r[0] += dt * vx
            r[1] += dt * vy
            r[2] += dt * vz


def calibrate(steps: int = 500_000) -> dict:
    """CPU and wall seconds of n-body here, scaled to the published run; ratio = Pi / here."""
    cpu0, wall0 = time.process_time(), time.perf_counter()
    nbody(steps)
    cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
    here_s = cpu * PI4_NBODY_STEPS / steps
    return {"steps": steps, "cpu_s": round(cpu, 2), "wall_s": round(wall, 2),
            "here_5M_s": round(here_s, 1), "ratio": round(PI4_NBODY_S / here_s, 2)}


def _hierarchy() -> tuple[str, Path]:
    """("v2", /sys/fs/cgroup) when the cpu controller is on the unified hierarchy, else ("v1", /sys/fs/cgroup/cpu)."""
    controllers = V2 / "cgroup.controllers"
    if controllers.exists() and "cpu" in controllers.read_text().split():
        return "v2", V2
    if (V1 / "cpu.cfs_quota_us").exists():
        return "v1", V1
    raise RuntimeError("no cgroup cpu controller to write (needs root and cgroup v2 cpu.max or v1 cpu.cfs_quota_us)")


@contextlib.contextmanager
def pi_cap(cores: float, ratio: float, name: str | None = None) -> Iterator[tuple[Path, float]]:
    """A cgroup whose processes together get `cores` Pi 4 cores (cores / ratio of this machine's);
    yields (its folder, the share of this machine's cores it gets)."""
    kind, root = _hierarchy()
    group = root / (name or f"classbox-pi-{os.getpid()}")
    group.mkdir()
    quota = max(1000, int(PERIOD_US * cores / ratio))
    try:
        if kind == "v2":
            if "cpu" not in (root / "cgroup.subtree_control").read_text().split():
                (root / "cgroup.subtree_control").write_text("+cpu")
            (group / "cpu.max").write_text(f"{quota} {PERIOD_US}")
        else:
            (group / "cpu.cfs_period_us").write_text(str(PERIOD_US))
            (group / "cpu.cfs_quota_us").write_text(str(quota))
        yield group, quota / PERIOD_US
    finally:
        for pid in (group / "cgroup.procs").read_text().split():  # leftovers back to the root group
            with contextlib.suppress(OSError):
                (root / "cgroup.procs").write_text(pid)
        group.rmdir()


def add(group: Path, pid: int) -> None:
    """Put a process in the cap; what it forks afterwards stays in it."""
    (group / "cgroup.procs").write_text(str(pid))


def preexec_into(group: Path):
    """A Popen preexec_fn that enters the cap before exec (so the whole tree starts capped)."""
    def enter() -> None:
        (group / "cgroup.procs").write_text(str(os.getpid()))
    return enter


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=500_000)
    parser.add_argument("--cores", type=float, default=1.0, help="Pi 4 cores to give (default 1)")
    parser.add_argument("--ratio", type=float, default=0.0, help="skip the calibration: Pi / here")
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    print(f"uptime: {os.getloadavg()}", flush=True)
    ratio = args.ratio
    if not ratio:
        figures = calibrate(args.steps)
        ratio = figures["ratio"]
        print(f"n-body {args.steps:,} steps here: {figures['cpu_s']} s CPU ({figures['wall_s']} s wall); "
              f"5M steps: {figures['here_5M_s']} s here vs {PI4_NBODY_S} s on a Pi 4 -> ratio {ratio}", flush=True)
    command = [c for c in args.command if c != "--"]
    with pi_cap(args.cores, ratio) as (group, share):
        print(f"cap: {args.cores} Pi 4 core(s) = {share:.3f} of this machine's cores", flush=True)
        if command:
            return subprocess.run(command, preexec_fn=preexec_into(group)).returncode
        check = subprocess.run([sys.executable, "-c", "import sys, time; sys.path.insert(0, sys.argv[1]);"
                                "import pi_profile as p; t=time.perf_counter(); p.nbody(int(sys.argv[2]));"
                                "print(time.perf_counter()-t)", str(Path(__file__).parent), str(args.steps)],
                               preexec_fn=preexec_into(group), capture_output=True, text=True, check=True)
        capped = float(check.stdout) * PI4_NBODY_STEPS / args.steps
        print(f"check: the same n-body under the 1-core cap: {capped:.1f} s wall for 5M steps "
              f"(Pi 4 published: {PI4_NBODY_S} s; {capped / PI4_NBODY_S:.2f}x)", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
