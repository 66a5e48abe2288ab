"""InfoMax Lab's PyTorch twin: the browser app's AMDIM model, loss, augmentation, optimiser and config, parameter
for parameter, trained with torch.distributed. Weights travel both ways as safetensors bundles."""

__version__ = "0.1.0"
