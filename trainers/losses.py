"""Built-in losses (registered by :mod:`portraitseg.trainers.loss_plugin`). All take logits and 0/1 targets of
shape (N, 1, H, W)."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor


def bce(logits: Tensor, target: Tensor) -> Tensor:
    """Binary cross-entropy on logits, averaged over pixels."""
    return F.binary_cross_entropy_with_logits(logits.float(), target.float())


def soft_dice(logits: Tensor, target: Tensor, smooth: float = 1.0) -> Tensor:
    """1 - soft Dice coefficient per image, averaged over the batch. On an image with nobody in it Dice is flat
    (1 - smooth / (predicted area + smooth) saturates at once, so it gives no gradient): there the term is the
    mean predicted probability instead, the share of the picture painted as person, which it pushes to zero."""
    prob = torch.sigmoid(logits.float()).flatten(1)
    target = target.float().flatten(1)
    intersection = (prob * target).sum(1)
    dice = (2 * intersection + smooth) / (prob.sum(1) + target.sum(1) + smooth)
    empty = target.sum(1) == 0
    return torch.where(empty, prob.mean(1), 1 - dice).mean()


def dice_bce(logits: Tensor, target: Tensor, dice_weight: float = 1.0, bce_weight: float = 1.0) -> Tensor:
    """Dice + BCE, the original project's loss."""
    return dice_weight * soft_dice(logits, target) + bce_weight * bce(logits, target)


def focal(logits: Tensor, target: Tensor, gamma: float = 2.0, alpha: float = 0.25) -> Tensor:
    """Focal loss (Lin et al. 2017): BCE down-weighted on easy pixels; ``alpha`` weights the person class."""
    logits, target = logits.float(), target.float()
    ce = F.binary_cross_entropy_with_logits(logits, target, reduction="none")
    p_t = torch.exp(-ce)
    alpha_t = alpha * target + (1 - alpha) * (1 - target)
    return (alpha_t * (1 - p_t) ** gamma * ce).mean()


def _lovasz_grad(gt_sorted: Tensor) -> Tensor:
    gts = gt_sorted.sum()
    intersection = gts - gt_sorted.cumsum(0)
    union = gts + (1 - gt_sorted).cumsum(0)
    jaccard = 1.0 - intersection / union
    jaccard[1:] = jaccard[1:] - jaccard[:-1]
    return jaccard


def lovasz_hinge(logits: Tensor, target: Tensor) -> Tensor:
    """Lovasz hinge (Berman et al. 2018): a convex surrogate of 1 - IoU, computed per image and averaged."""
    losses = []
    for lg, tg in zip(logits.float().flatten(1), target.float().flatten(1)):
        signs = 2 * tg - 1
        errors = 1 - lg * signs
        errors_sorted, order = torch.sort(errors, descending=True)
        losses.append(torch.dot(F.relu(errors_sorted), _lovasz_grad(tg[order])))
    return torch.stack(losses).mean()
