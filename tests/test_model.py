from __future__ import annotations

import numpy as np
import pytest

from fer.labels import LABELS
from fer.training.model import AugmentConfig, ModelConfig, build_augmenter, build_model


@pytest.fixture(scope="module")
def model():
    return build_model()


def test_shapes_and_probabilities(model, fer_faces):
    faces = fer_faces.split("PrivateTest").faces[:5][..., None].astype(np.float32)
    probs = np.asarray(model(faces, training=False))
    assert model.input_shape == (None, 48, 48, 1)
    assert model.output_shape == (None, len(LABELS))
    assert probs.shape == (5, 7) and probs.dtype == np.float32
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, atol=1e-5)


def test_rescaling_is_inside_the_model(model):
    assert model.layers[1].name == "rescale"
    assert model.layers[1].scale == pytest.approx(1 / 255)


def test_architecture_follows_the_design(model):
    names = [layer.name for layer in model.layers]
    # Four conv blocks, each ending in a 2x2 max-pool; every conv followed by BatchNorm and ReLU.
    pools = [layer for layer in model.layers if layer.name.endswith("_pool")]
    assert [p.name for p in pools] == [f"block{b}_pool" for b in range(1, 5)]
    assert all(p.pool_size == (2, 2) for p in pools)
    convs = [layer for layer in model.layers if "_conv" in layer.name]
    assert len(convs) == sum(ModelConfig().convs_per_block)
    for conv in convs:
        i = names.index(conv.name)
        assert conv.kernel_size == (3, 3)
        assert names[i + 1 : i + 3] == [conv.name.replace("conv", "bn"), conv.name.replace("conv", "relu")]
    # A dense head whose hidden layers all use dropout 0.5.
    head_drops = [layer for layer in model.layers if layer.name.startswith("dense") and layer.name.endswith("drop")]
    assert len(head_drops) == len(ModelConfig().dense_units) and all(d.rate == 0.5 for d in head_drops)
    assert model.layers[-1].name == "probabilities"


def test_config_validation():
    with pytest.raises(ValueError, match="one entry per block"):
        ModelConfig(widths=(32, 64, 128))
    with pytest.raises(ValueError, match="1 or 2"):
        ModelConfig(convs_per_block=(1, 3, 2, 2))


def test_augmenter_is_identity_at_inference_and_random_in_training(fer_faces):
    faces = fer_faces.split("PrivateTest").faces[:8][..., None].astype(np.float32)
    augment = build_augmenter(AugmentConfig())
    assert np.array_equal(np.asarray(augment(faces, training=False)), faces)
    changed = np.asarray(augment(faces, training=True))
    assert changed.shape == faces.shape and not np.array_equal(changed, faces)
