"""Random-weight Soprano checkpoints in the published layout, for tests and benchmarks.

    python scripts/make_soprano_checkpoint.py DIR [--size tiny|published] [--seed N]

writes `config.json` (Qwen3ForCausalLM), `model.safetensors` (Hugging Face tensor names),
`tokenizer.json` + `tokenizer_config.json` (a byte-level BPE trained here with the `tokenizers` library;
`[STOP]` is id 3) and `decoder.pth` (the Vocos decoder's state dict under the reference's names).
`published` is the shape the issue gives (hidden 512, 17 layers, 4 heads, 1 KV head, head dim 128, MLP 1536,
vocab 8192; decoder 768 wide, 8 blocks, 2304 hidden; about 86M parameters). The audio is noise.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

SPECIAL = ["[UNK]", "[PAD]", "[TEXT]", "[STOP]", "[START]"]  # [STOP] = 3, as published
TRAINING_TEXT = """
the keeper of the lighthouse climbed the stairs each evening and lit the lamp before the sun went down.
a letter came from the mainland on tuesday; it said that the boat would not return until the storm had passed.
"what do you mean by that?" she asked, and he laughed, for he had no answer at all.
one, two, three, four, five, six, seven, eight, nine, ten; twenty, thirty, forty, fifty, a hundred, a thousand.
mr. smith paid three dollars and fifty cents for the chickens, which ran about the yard all the morning.
it was the best of times, it was the worst of times, it was the age of wisdom, it was the age of foolishness.
quick brown foxes jump over lazy dogs; sphinx of black quartz, judge my vow! how vexingly quick daft zebras jump.
"""


@dataclass(frozen=True, slots=True)
class Shape:
    vocab: int
    hidden: int
    layers: int
    heads: int
    kv_heads: int
    head_dim: int
    mlp: int
    dec_dim: int
    dec_inter: int
    dec_layers: int
    n_fft: int = 2048


SHAPES = {
    "tiny": Shape(
        vocab=512,
        hidden=64,
        layers=2,
        heads=4,
        kv_heads=1,
        head_dim=16,
        mlp=128,
        dec_dim=32,
        dec_inter=96,
        dec_layers=2,
    ),
    "published": Shape(
        vocab=8192,
        hidden=512,
        layers=17,
        heads=4,
        kv_heads=1,
        head_dim=128,
        mlp=1536,
        dec_dim=768,
        dec_inter=2304,
        dec_layers=8,
    ),
}


def make_tokenizer(out: Path, vocab: int) -> None:
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

    tok = Tokenizer(models.BPE(unk_token="[UNK]"))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab,
        special_tokens=SPECIAL,
        show_progress=False,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
    )
    tok.train_from_iterator([line for line in TRAINING_TEXT.splitlines() if line] * 4, trainer)
    assert tok.token_to_id("[STOP]") == 3 and tok.get_vocab_size() <= vocab
    tok.save(str(out / "tokenizer.json"))
    (out / "tokenizer_config.json").write_text(
        json.dumps(
            {
                "tokenizer_class": "PreTrainedTokenizerFast",
                "model_max_length": 1024,
                "pad_token": "[STOP]",
                "unk_token": "[UNK]",
                "eos_token": "[STOP]",
                "added_tokens_decoder": {
                    str(i): {
                        "content": t,
                        "special": True,
                        "lstrip": False,
                        "rstrip": False,
                        "normalized": False,
                        "single_word": False,
                    }
                    for i, t in enumerate(SPECIAL)
                },
            },
            indent=2,
        )
    )


def make_lm(out: Path, s: Shape, seed: int, std: float = 0.02) -> None:
    import torch
    from safetensors.torch import save_file

    g = torch.Generator().manual_seed(seed)

    def w(*shape: int) -> torch.Tensor:
        return (torch.randn(*shape, generator=g) * std).contiguous()

    t = {
        "model.embed_tokens.weight": w(s.vocab, s.hidden),
        "model.norm.weight": torch.ones(s.hidden),
        "lm_head.weight": w(s.vocab, s.hidden),
    }
    for i in range(s.layers):
        p = f"model.layers.{i}."
        t |= {
            p + "input_layernorm.weight": torch.ones(s.hidden),
            p + "post_attention_layernorm.weight": torch.ones(s.hidden),
            p + "self_attn.q_proj.weight": w(s.heads * s.head_dim, s.hidden),
            p + "self_attn.k_proj.weight": w(s.kv_heads * s.head_dim, s.hidden),
            p + "self_attn.v_proj.weight": w(s.kv_heads * s.head_dim, s.hidden),
            p + "self_attn.o_proj.weight": w(s.hidden, s.heads * s.head_dim),
            p + "self_attn.q_norm.weight": torch.ones(s.head_dim),
            p + "self_attn.k_norm.weight": torch.ones(s.head_dim),
            p + "mlp.gate_proj.weight": w(s.mlp, s.hidden),
            p + "mlp.up_proj.weight": w(s.mlp, s.hidden),
            p + "mlp.down_proj.weight": w(s.hidden, s.mlp),
        }
    save_file(t, str(out / "model.safetensors"), metadata={"format": "pt"})
    (out / "config.json").write_text(
        json.dumps(
            {
                "architectures": ["Qwen3ForCausalLM"],
                "model_type": "qwen3",
                "vocab_size": s.vocab,
                "hidden_size": s.hidden,
                "intermediate_size": s.mlp,
                "num_hidden_layers": s.layers,
                "num_attention_heads": s.heads,
                "num_key_value_heads": s.kv_heads,
                "head_dim": s.head_dim,
                "hidden_act": "silu",
                "max_position_embeddings": 1024,
                "rms_norm_eps": 1e-6,
                "rope_theta": 10000.0,
                "rope_scaling": None,
                "attention_bias": False,
                "attention_dropout": 0.0,
                "tie_word_embeddings": False,
                "use_cache": True,
                "use_sliding_window": False,
                "sliding_window": None,
                "torch_dtype": "float32",
                "bos_token_id": 3,
                "eos_token_id": 3,
                "pad_token_id": 1,
            },
            indent=2,
        )
    )


def make_decoder(out: Path, s: Shape, seed: int, std: float = 0.02) -> None:
    import torch

    g = torch.Generator().manual_seed(seed + 1)

    def w(*shape: int) -> torch.Tensor:
        return (torch.randn(*shape, generator=g) * std).clamp_(
            -2 * std, 2 * std
        )  # truncated normal, as Vocos

    d, n = s.dec_dim, s.dec_layers
    st = {
        "decoder.embed.weight": w(d, s.hidden, 1),
        "decoder.embed.bias": torch.zeros(d),
        "decoder.norm.weight": torch.ones(d),
        "decoder.norm.bias": torch.zeros(d),
        "decoder.final_layer_norm.weight": torch.ones(d),
        "decoder.final_layer_norm.bias": torch.zeros(d),
        # log-magnitude bias 2: noise at a level the validator hears as speech-loud (random weights)
        "head.out.weight": w(s.n_fft + 2, d),
        "head.out.bias": torch.cat([torch.full((s.n_fft // 2 + 1,), 2.0), torch.zeros(s.n_fft // 2 + 1)]),
        "head.istft.window": torch.hann_window(s.n_fft),
    }
    for i in range(n):
        p = f"decoder.convnext.{i}."
        st |= {
            p + "dwconv.weight": w(d, 1, 3),
            p + "dwconv.bias": torch.zeros(d),
            p + "norm.weight": torch.ones(d),
            p + "norm.bias": torch.zeros(d),
            p + "pwconv1.weight": w(s.dec_inter, d),
            p + "pwconv1.bias": torch.zeros(s.dec_inter),
            p + "pwconv2.weight": w(d, s.dec_inter),
            p + "pwconv2.bias": torch.zeros(d),
            p + "gamma": torch.full((d,), 1 / n**0.5),
        }
    torch.save(st, out / "decoder.pth")


def build(out: str | Path, size: str = "tiny", seed: int = 0) -> Path:
    """Write a checkpoint of `size` ("tiny" or "published") into folder `out`; returns the folder."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    s = SHAPES[size]
    make_tokenizer(out, s.vocab)
    make_lm(out, s, seed)
    make_decoder(out, s, seed)
    (out / "shape.json").write_text(json.dumps({"size": size, "seed": seed, **asdict(s)}, indent=2))
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", help="folder to write")
    ap.add_argument("--size", choices=sorted(SHAPES), default="tiny")
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args(argv)
    print(build(a.out, a.size, a.seed))
    return 0


if __name__ == "__main__":
    sys.exit(main())
