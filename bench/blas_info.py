"""Which BLAS numpy really runs on (and which OpenBLAS core kernel), for honest benchmark notes.

Shared by the numpy reference scripts in bench/ (imported from the script's own folder).
"""

import ctypes

import numpy as np


def blas_info() -> dict:
    """Which BLAS (and which OpenBLAS core kernel) numpy is really using, best effort."""
    info: dict = {}
    try:
        from threadpoolctl import threadpool_info  # type: ignore

        pools = [p for p in threadpool_info() if p.get("user_api") == "blas"]
        if pools:
            p = pools[0]
            return {
                "source": "threadpoolctl",
                "internal_api": p.get("internal_api"),
                "version": p.get("version"),
                "architecture": p.get("architecture"),
                "num_threads": p.get("num_threads"),
                "threading_layer": p.get("threading_layer"),
                "filepath": p.get("filepath"),
            }
    except Exception:
        pass
    # No threadpoolctl: ask the loaded OpenBLAS directly (its library is mapped in this process).
    try:
        with open("/proc/self/maps") as f:
            libs = sorted({ln.split()[-1] for ln in f if "openblas" in ln.lower() and ".so" in ln})
        for path in libs:
            lib = ctypes.CDLL(path)
            for prefix, suffix in (("scipy_", "64_"), ("scipy_", ""), ("", "64_"), ("", "")):
                try:
                    core = getattr(lib, f"{prefix}openblas_get_corename{suffix}")
                    conf = getattr(lib, f"{prefix}openblas_get_config{suffix}")
                except AttributeError:
                    continue
                core.restype = ctypes.c_char_p
                conf.restype = ctypes.c_char_p
                info = {
                    "source": "openblas via ctypes",
                    "internal_api": "openblas",
                    "architecture": core().decode(),
                    "config": conf().decode().strip(),
                    "filepath": path,
                }
                try:
                    nth = getattr(lib, f"{prefix}openblas_get_num_threads{suffix}")
                    info["num_threads"] = int(nth())
                except AttributeError:
                    pass
                break
            if info:
                break
    except Exception:
        pass
    try:  # build-time description (what numpy was linked against, not the runtime kernel)
        cfg = np.show_config(mode="dicts")
        blas = cfg.get("Build Dependencies", {}).get("blas", {})
        info.setdefault("source", "numpy.show_config")
        info["build"] = {k: blas.get(k) for k in ("name", "version", "openblas configuration") if k in blas}
    except Exception as e:  # old numpy without mode="dicts"
        info.setdefault("source", f"unavailable ({type(e).__name__})")
    return info
