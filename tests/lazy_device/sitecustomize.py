"""Loaded at start-up by every Python process of a test run that puts this folder first on
PYTHONPATH and sets GRADER_LAZY_AS_CUDA=1 (the grader, its pytest session, the zygote and so
the workers forked from it): PyTorch's "lazy" device stands in for CUDA on a machine without a
GPU (see tests/sandbox/test_cuda_readiness.py).

The lazy device (TorchScript backend) computes on the CPU but behaves as an accelerator where
it matters here: tensors on it cannot be mixed with CPU tensors of more than 0 dimensions,
.numpy() refuses them, and a tensor created without device= lands on the CPU."""
import os

if os.environ.get("GRADER_LAZY_AS_CUDA") == "1":
    import torch
    import torch._lazy.ts_backend

    torch._lazy.ts_backend.init()

    import grader.sandbox.protocol as _protocol

    _cuda_here = _protocol._device_here
    _broken = os.environ.get("GRADER_LAZY_BROKEN") == "1"  # read now: workers clear os.environ
    _started = os.getpid()   # a worker is a process forked after this file ran (the zygote's)

    def _device_here(name):
        if name.split(":")[0] == "lazy":
            if _broken and os.getpid() != _started:  # only in workers:
                # a GPU the sandbox hides from them
                raise RuntimeError("CUDA error: no CUDA-capable device is detected (emulated)")
            return torch.device("lazy")
        return _cuda_here(name)

    _protocol._device_here = _device_here

    # Where the lazy device falls short of CUDA, make up for it:
    # - a CPU tensor cannot copy_ from a lazy one (load_state_dict of a state on the device
    #   into a model still on the CPU does that; CUDA allows it), nor take one in
    #   cpu_tensor[:] = lazy_tensor;
    def _lazy_source_to_cpu(method, at):
        def patched(self, *args, **kwargs):
            src = args[at] if len(args) > at else None
            if isinstance(src, torch.Tensor) and src.device.type == "lazy" \
                    and self.device.type != "lazy":
                args = args[:at] + (src.cpu(),) + args[at + 1:]
            return method(self, *args, **kwargs)
        return patched

    torch.Tensor.copy_ = _lazy_source_to_cpu(torch.Tensor.copy_, 0)
    torch.Tensor.__setitem__ = _lazy_source_to_cpu(torch.Tensor.__setitem__, 1)

    # - every step of a training loop is traced and compiled: far slower than CUDA, so calls
    #   get more time.
    import grader.sandbox.limits as _limits

    _limits_init = _limits.Limits.__init__

    def _slow_limits(self, *args, **kwargs):
        _limits_init(self, *args, **kwargs)
        self.call_seconds = max(self.call_seconds, 120.0)
        self.submission_seconds = max(self.submission_seconds, 3000.0)

    _limits.Limits.__init__ = _slow_limits
    _limits.DEFAULT_LIMITS["RLIMIT_CPU"] = max(_limits.DEFAULT_LIMITS["RLIMIT_CPU"], 1200)
