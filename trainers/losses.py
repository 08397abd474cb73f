"""Built-in losses (registered by :mod:`portraitseg.trainers.loss_plugin`). All take logits and 0/1 targets of
shape (N, 1, H, W) and an optional ``valid`` of the same shape: 0 where the label is unknown (an ignore mask), so
those pixels count neither as person nor as background."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor


def _valid_mean(values: Tensor, valid: Tensor | None) -> Tensor:
    """Mean of ``values`` over the valid pixels (all of them when ``valid`` is None)."""
    if valid is None:
        return values.mean()
    return (values * valid).sum() / valid.sum().clamp_min(1.0)


def bce(logits: Tensor, target: Tensor, valid: Tensor | None = None) -> Tensor:
    """Binary cross-entropy on logits, averaged over (valid) pixels."""
    return _valid_mean(F.binary_cross_entropy_with_logits(logits.float(), target.float(), reduction="none"), valid)


def soft_dice(logits: Tensor, target: Tensor, smooth: float = 1.0, valid: Tensor | None = None) -> Tensor:
    """1 - soft Dice coefficient per image, averaged over the batch. On an image with nobody in it Dice is flat
    (1 - smooth / (predicted area + smooth) saturates at once, so it gives no gradient): there the term is the
    mean predicted probability instead, the share of the picture painted as person, which it pushes to zero."""
    prob = torch.sigmoid(logits.float()).flatten(1)
    target = target.float().flatten(1)
    weight = torch.ones_like(prob) if valid is None else valid.float().flatten(1)
    prob = prob * weight
    intersection = (prob * target).sum(1)
    dice = (2 * intersection + smooth) / (prob.sum(1) + target.sum(1) + smooth)
    empty = target.sum(1) == 0
    painted = prob.sum(1) / weight.sum(1).clamp_min(1.0)
    return torch.where(empty, painted, 1 - dice).mean()


def dice_bce(logits: Tensor, target: Tensor, dice_weight: float = 1.0, bce_weight: float = 1.0,
             valid: Tensor | None = None) -> Tensor:
    """Dice + BCE, the original project's loss."""
    return dice_weight * soft_dice(logits, target, valid=valid) + bce_weight * bce(logits, target, valid)


def agreeing_distillation(logits: Tensor, teacher_logits: Tensor, target: Tensor,
                          valid: Tensor | None = None) -> Tensor:
    """BCE towards a teacher's probabilities on the (valid) pixels where the teacher's mask agrees with the label:
    it keeps what the teacher knew, at the teacher's confidence, and leaves the pixels it got wrong to the label
    (learning without forgetting, Li and Hoiem 2016, with the label as the referee)."""
    teacher = torch.sigmoid(teacher_logits.float())
    agree = ((teacher > 0.5) == (target > 0.5)).float()
    return bce(logits, teacher, agree if valid is None else agree * valid)


def focal(logits: Tensor, target: Tensor, gamma: float = 2.0, alpha: float = 0.25,
          valid: Tensor | None = None) -> Tensor:
    """Focal loss (Lin et al. 2017): BCE down-weighted on easy pixels; ``alpha`` weights the person class."""
    logits, target = logits.float(), target.float()
    ce = F.binary_cross_entropy_with_logits(logits, target, reduction="none")
    p_t = torch.exp(-ce)
    alpha_t = alpha * target + (1 - alpha) * (1 - target)
    return _valid_mean(alpha_t * (1 - p_t) ** gamma * ce, valid)


def _lovasz_grad(gt_sorted: Tensor) -> Tensor:
    gts = gt_sorted.sum()
    intersection = gts - gt_sorted.cumsum(0)
    union = gts + (1 - gt_sorted).cumsum(0)
    jaccard = 1.0 - intersection / union
    jaccard[1:] = jaccard[1:] - jaccard[:-1]
    return jaccard


def lovasz_hinge(logits: Tensor, target: Tensor, valid: Tensor | None = None) -> Tensor:
    """Lovasz hinge (Berman et al. 2018): a convex surrogate of 1 - IoU, computed per image over its valid pixels
    and averaged."""
    losses = []
    valid = torch.ones_like(target) if valid is None else valid
    for lg, tg, ok in zip(logits.float().flatten(1), target.float().flatten(1), valid.flatten(1) > 0):
        lg, tg = lg[ok], tg[ok]
        signs = 2 * tg - 1
        errors = 1 - lg * signs
        errors_sorted, order = torch.sort(errors, descending=True)
        losses.append(torch.dot(F.relu(errors_sorted), _lovasz_grad(tg[order])))
    return torch.stack(losses).mean()
