#!/usr/bin/env python3
"""Builds a tiny Hugging Face tokenizer offline, for aiperf's --tokenizer in tests.

A word-level vocabulary trained with the `tokenizers` package (an aiperf dependency) on the
corpus aiperf itself ships for its synthetic prompts, so prompts tokenize without unknowns.
Usage: make_tokenizer.py OUT_DIR
"""

import json
import os
import sys

import aiperf
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers


def main():
    out = sys.argv[1]
    corpus = os.path.join(os.path.dirname(aiperf.__file__), "dataset", "generator", "assets", "shakespeare.txt")
    tok = Tokenizer(models.WordLevel(unk_token="[UNK]"))
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    tok.decoder = decoders.WordPiece(prefix="##")  # joins words with spaces
    tok.train([corpus], trainers.WordLevelTrainer(vocab_size=4000, special_tokens=["[UNK]"]))
    os.makedirs(out, exist_ok=True)
    tok.save(os.path.join(out, "tokenizer.json"))
    config = {"tokenizer_class": "PreTrainedTokenizerFast", "unk_token": "[UNK]", "model_max_length": 1000000}
    with open(os.path.join(out, "tokenizer_config.json"), "w") as f:
        json.dump(config, f)
    print(f"tokenizer with {tok.get_vocab_size()} words in {out}")


if __name__ == "__main__":
    main()
