"""The few collective operations the twin needs, with the gradients written out so they work on Gloo (CPU) as well
as NCCL: torch 1.13's differentiable all_gather backs up through reduce_scatter, which Gloo lacks."""
import torch
import torch.distributed as dist


_GROUP = None


def set_group(group):
    """A process group of its own for these collectives, apart from the one DDP reduces gradients on."""
    global _GROUP
    _GROUP = group


def group():
    return _GROUP


def world():
    return dist.get_world_size() if dist.is_available() and dist.is_initialized() else 1


def rank():
    return dist.get_rank() if dist.is_available() and dist.is_initialized() else 0


class _AllReduceSum(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        x = x.clone()
        dist.all_reduce(x, group=_GROUP)
        return x

    @staticmethod
    def backward(ctx, g):
        g = g.clone()
        dist.all_reduce(g, group=_GROUP)  # every rank's output depends on every rank's input
        return g


def all_reduce_sum(x):
    return _AllReduceSum.apply(x) if world() > 1 else x


class _AllGather(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        parts = [torch.empty_like(x) for _ in range(world())]
        dist.all_gather(parts, x.contiguous(), group=_GROUP)
        ctx.n = x.shape[0]
        return torch.cat(parts)

    @staticmethod
    def backward(ctx, g):
        g = g.contiguous().clone()
        dist.all_reduce(g, group=_GROUP)  # each rank's rows get the gradient of every rank's loss
        r = rank()
        return g[r * ctx.n:(r + 1) * ctx.n]


def all_gather_rows(x):
    """(B, …) on each rank → (W·B, …) in rank order, differentiable; and this rank's row offset."""
    if world() == 1:
        return x, 0
    return _AllGather.apply(x), rank() * x.shape[0]
