"""The model pipeline: the commands that train, keep, export, quantise and evaluate the served model.

Run each as ``python -m scripts.training.NAME`` from the checkout, in this order:

* ``fit``: train a run (``targets`` prepares its targets, ``degrade`` its video-call degradations);
* ``checkpoint``: keep a run that spans sittings in ``model/resume/`` and bring it back;
* ``export``: the run's chosen classifier into ``model/`` with its card;
* ``quantize``: the served int8 file;
* ``evaluate``: the served file's figures (``faces_wild`` scores the whole pipeline on real photos);
* ``variants``: compare runs of other settings; ``crop_convention``: where the face detector's box sits.
"""
