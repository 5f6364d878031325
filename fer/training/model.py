"""The emotion CNN, in backend-neutral Keras 3 (TensorFlow, JAX or PyTorch).

Input: float32 ``(N, 48, 48, 1)`` raw gray values 0..255 (rescaling happens inside the model).
Output: float32 ``(N, 7)`` probabilities in :data:`fer.labels.LABELS` order.

Keras is imported inside the functions so that ``import fer`` stays light.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from fer.labels import INPUT_SHAPE, LABELS


@dataclass(frozen=True)
class ModelConfig:
    """Architecture knobs: four conv blocks, then four hidden dense layers and the softmax (5 dense)."""

    widths: tuple[int, ...] = (32, 64, 128, 256)  # filters of each conv block
    convs_per_block: tuple[int, ...] = (1, 2, 2, 2)  # 3x3 convolutions before each pool
    block_dropout: tuple[float, ...] = (0.1, 0.2, 0.3, 0.4)
    dense_units: tuple[int, ...] = (512, 256, 256, 128)  # hidden dense layers of the head
    dense_dropout: float = 0.5
    kernel_l2: float = 0.0  # L2 penalty on conv and dense kernels (the optimizer's decay is separate)

    def __post_init__(self) -> None:
        n = len(self.widths)
        if n != 4 or len(self.convs_per_block) != n or len(self.block_dropout) != n:
            raise ValueError("widths, convs_per_block and block_dropout need one entry per block (4)")
        if any(c not in (1, 2) for c in self.convs_per_block):
            raise ValueError("convs_per_block entries must be 1 or 2")

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, record: dict) -> ModelConfig:
        """The config :meth:`to_dict` wrote, read back from JSON (its lists become tuples).

        Configs written before ``kernel_l2`` was named so call it ``weight_decay``; both are read.
        """
        record = dict(record)
        if "weight_decay" in record:
            record.setdefault("kernel_l2", record.pop("weight_decay"))
        return cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in record.items()})


@dataclass(frozen=True)
class AugmentConfig:
    """Training-time augmentation; none of it is part of the saved model."""

    flip: bool = True
    shift: float = 0.1  # fraction of the image size
    rotation_degrees: float = 10.0
    zoom: float = 0.1
    erasing_factor: float = 0.25  # RandomErasing probability; 0 turns it off
    seed: int = 1234

    def to_dict(self) -> dict:
        return asdict(self)


def build_model(config: ModelConfig = ModelConfig()):
    """Return an uncompiled ``keras.Model`` mapping raw 0..255 faces to 7 probabilities."""
    import keras
    from keras import layers

    reg = keras.regularizers.L2(config.kernel_l2) if config.kernel_l2 else None
    inputs = keras.Input(INPUT_SHAPE, name="face_gray")
    x = layers.Rescaling(1.0 / 255.0, name="rescale")(inputs)
    for b, (width, convs, drop) in enumerate(
        zip(config.widths, config.convs_per_block, config.block_dropout, strict=True), start=1
    ):
        for c in range(1, convs + 1):
            x = layers.Conv2D(
                width, 3, padding="same", use_bias=False, kernel_regularizer=reg, name=f"block{b}_conv{c}"
            )(x)
            x = layers.BatchNormalization(name=f"block{b}_bn{c}")(x)
            x = layers.ReLU(name=f"block{b}_relu{c}")(x)
        x = layers.MaxPooling2D(2, name=f"block{b}_pool")(x)
        x = layers.Dropout(drop, name=f"block{b}_drop")(x)
    x = layers.Flatten(name="flatten")(x)
    for d, units in enumerate(config.dense_units, start=1):
        x = layers.Dense(units, use_bias=False, kernel_regularizer=reg, name=f"dense{d}")(x)
        x = layers.BatchNormalization(name=f"dense{d}_bn")(x)
        x = layers.ReLU(name=f"dense{d}_relu")(x)
        x = layers.Dropout(config.dense_dropout, name=f"dense{d}_drop")(x)
    logits = layers.Dense(len(LABELS), kernel_regularizer=reg, name="logits")(x)
    # Softmax in float32 even under mixed precision, so the served probabilities sum to 1.
    outputs = layers.Activation("softmax", dtype="float32", name="probabilities")(logits)
    return keras.Model(inputs, outputs, name="emotion_cnn")


def build_augmenter(config: AugmentConfig = AugmentConfig()):
    """Return a ``keras.Sequential`` of random transforms, active only when ``training=True``."""
    import keras
    from keras import layers

    steps = []
    if config.flip:
        steps.append(layers.RandomFlip("horizontal", seed=config.seed))
    if config.rotation_degrees:
        steps.append(layers.RandomRotation(config.rotation_degrees / 360.0, fill_mode="reflect", seed=config.seed + 1))
    if config.shift:
        steps.append(layers.RandomTranslation(config.shift, config.shift, fill_mode="reflect", seed=config.seed + 2))
    if config.zoom:
        steps.append(layers.RandomZoom((-config.zoom, config.zoom), fill_mode="reflect", seed=config.seed + 3))
    if config.erasing_factor:
        steps.append(
            layers.RandomErasing(
                factor=config.erasing_factor, scale=(0.02, 0.2), value_range=(0, 255), seed=config.seed + 4
            )
        )
    return keras.Sequential(steps, name="augment")
