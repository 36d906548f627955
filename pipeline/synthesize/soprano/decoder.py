"""The Soprano decoder: LM hidden states -> 32 kHz audio (a Vocos backbone and an ISTFT head).

Loaded from `decoder.pth` by the reference's state-dict names (`decoder.embed`, `decoder.convnext.{i}`,
`head.out`, ...). Sequences are decoded together packed end to end in (frames, channels) layout (on the CPU
in passes of at most 2048 rows, the MLP in blocks of 256 rows a thread, so activations stay in cache); the separator
row between two sequences is zeroed before every depthwise convolution, so each sequence's audio equals its
audio decoded alone. The head (spectrum and ISTFT) runs per sequence in float32.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F

from ... import defaults as D
from . import kernels
from .precision import Linear, linear, torch_dtype

_CPU_FRAMES_PER_PASS = 2048
_CPU_ROWS_PER_THREAD = 256


class VocosDecoder:
    """(T, dim) hidden states per sequence -> mono float32 audio, shape ((T-1) * 2048,), at 32 kHz."""

    def __init__(self, state: dict[str, torch.Tensor], device: torch.device, dtype: torch.dtype | str):
        """`dtype`: a torch dtype or a precision name; under "int8" the input and pointwise projections of
        the backbone run in int8, the head's projection with float16 weights (float32 arithmetic), the rest
        (convolutions, norms, the ISTFT) in float32."""
        self.precision = dtype if isinstance(dtype, str) else str(dtype).split(".")[-1]
        self.device, self.dtype = device, torch_dtype(self.precision)
        dtype = self.dtype
        st = {k: v.to(device) for k, v in state.items()}

        def lin(w: torch.Tensor, b: torch.Tensor) -> Linear:
            return linear(w.float(), b.float(), self.precision, device)

        def get(name: str, dt: torch.dtype = dtype) -> torch.Tensor:
            return st[name].to(dt).contiguous()

        if st["decoder.embed.weight"].shape[-1] != 1:
            raise ValueError("decoder.embed is not a 1x1 convolution")
        embed_w = st["decoder.embed.weight"][:, :, 0]  # (dim, in), 1x1 conv
        self.embed = lin(embed_w, st["decoder.embed.bias"])
        self.dim, self.in_dim = embed_w.shape
        self.inter = (
            st["decoder.convnext.0.pwconv1.weight"].shape[0]
            if "decoder.convnext.0.pwconv1.weight" in st
            else 0
        )
        self.norm = (get("decoder.norm.weight"), get("decoder.norm.bias"))
        self.blocks: list[dict[str, Any]] = []  # per block: its weights (tensors) and products (Linear)
        i = 0
        while f"decoder.convnext.{i}.dwconv.weight" in st:
            p = f"decoder.convnext.{i}."
            gamma = st[p + "gamma"].float() if p + "gamma" in st else torch.ones(self.dim, device=device)
            dw = get(p + "dwconv.weight")[:, 0, :]  # (dim, k)
            if dw.shape[1] != 3:
                raise ValueError("decoder depthwise kernel is not 3")
            self.blocks.append(
                {
                    "dw": [dw[:, j].contiguous() for j in range(3)],
                    "dw_b": get(p + "dwconv.bias"),
                    "norm": (get(p + "norm.weight"), get(p + "norm.bias")),
                    "pw1": lin(st[p + "pwconv1.weight"], st[p + "pwconv1.bias"]),
                    # the layer scale folded into the second projection
                    "pw2": lin(
                        st[p + "pwconv2.weight"].float() * gamma[:, None],
                        st[p + "pwconv2.bias"].float() * gamma,
                    ),
                }
            )
            i += 1
        self.final_norm = (get("decoder.final_layer_norm.weight"), get("decoder.final_layer_norm.bias"))
        self.out_w = get("head.out.weight", torch.float32)
        self.out_b = get("head.out.bias", torch.float32)
        # the head's projection: float32, or under int8 float16 weights with float32 arithmetic (FBGEMM)
        self.out = linear(
            self.out_w, self.out_b, "fp16w" if self.precision in ("int8", "fp16w") else "float32", device
        )
        self.n_fft = self.out_w.shape[0] - 2
        self.hop = D.SOPRANO_HOP
        self.upscale = D.SOPRANO_UPSCALE
        self.window = torch.hann_window(self.n_fft, device=device, dtype=torch.float32)
        # on the CPU: frames per backbone pass and rows per pointwise block, sized for its caches (measured on
        # the published shape: 8192 frames in one pass run 1.6x slower than 2048; blocks of 256 rows a thread
        # 3-5% faster on one thread than blocks of 1024, the same on two); rows_per_block 0: 256 a thread
        cpu = device.type == "cpu"
        self.frames_per_pass = _CPU_FRAMES_PER_PASS if cpu else 1 << 30
        self.rows_per_block = 0 if cpu else 1 << 30
        # under int8 on the CPU, the fused kernels do what lies between the two pointwise products (undoing
        # the first product's row mapping, its bias, GELU, the mapping for the second; the residual add)
        self.kernels = (
            kernels.load()
            if cpu and self.precision == "int8" and self.dim % 8 == 0 and self.inter % 8 == 0 and self.blocks
            else None
        )
        if self.kernels is not None:
            for blk in self.blocks:
                for name in ("pw1", "pw2"):
                    lin_ = blk[name]
                    blk[name + "_bias"] = (
                        lin_.bias if lin_.bias is not None else torch.zeros(lin_.out_features)
                    )

    @classmethod
    def load(cls, path: Path, device: torch.device, dtype: torch.dtype | str) -> VocosDecoder:
        state = torch.load(path / "decoder.pth", map_location="cpu", weights_only=True)
        return cls(state, device, dtype)

    @property
    def samples_per_token(self) -> int:
        return self.hop * self.upscale

    def flops_per_token(self) -> float:
        """Multiply-adds x 2 per token ( `upscale` frames) in the backbone and head, ISTFT excluded."""
        per_frame = (
            self.dim * self.in_dim
            + len(self.blocks) * (2 * self.dim * self.inter + 3 * self.dim)
            + self.out_w.numel()
        )
        return 2.0 * self.upscale * per_frame

    def _upsample(self, h: torch.Tensor) -> torch.Tensor:
        """(B, T, C) -> (B, 4(T-1)+1, C): linear interpolation with the ends aligned."""
        _B, T, _C = h.shape
        if T == 1:
            return h
        F_ = self.upscale * (T - 1) + 1
        f = torch.arange(F_, device=h.device)
        k = torch.clamp(f // self.upscale, max=T - 2)
        a = ((f - k * self.upscale).to(h.dtype) / self.upscale)[None, :, None]
        return h[:, k] * (1 - a) + h[:, k + 1] * a

    @torch.inference_mode()
    def backbone(self, hidden: list[torch.Tensor]) -> tuple[torch.Tensor, list[int], list[int]]:
        """Hidden states of B sequences, each (T_i, in) -> features (R, dim) of the sequences packed end to end,
        where sequence i is rows starts[i] .. starts[i] + frames[i] - 1; and starts, frames.

        Packed, not padded (padding to the longest cost about a tenth of the frames): one separator row
        before each sequence and after the last is zeroed before every depthwise convolution, so each
        sequence sees zero padding at both ends, frame for frame as when decoded alone."""
        frames = [self.upscale * (h.shape[0] - 1) + 1 for h in hidden]
        starts, rows = [], 1
        for f in frames:
            starts.append(rows)
            rows += f + 1
        up = torch.zeros((rows, hidden[0].shape[1]), device=self.device, dtype=torch.float32)
        for h, s0, f in zip(hidden, starts, frames, strict=True):
            # interpolate per sequence (its own end), in float32 as the reference does
            up[s0 : s0 + f] = self._upsample(h.to(self.device, torch.float32)[None])[0]
        x = self.embed(up.to(self.dtype))
        x = F.layer_norm(x, (self.dim,), *self.norm, eps=1e-6)
        seps = torch.tensor([s0 - 1 for s0 in starts] + [rows - 1], device=self.device)
        block = self.rows_per_block or _CPU_ROWS_PER_THREAD * torch.get_num_threads()
        for blk in self.blocks:
            x.index_fill_(0, seps, 0.0)  # what lies beside each sequence reads as zero padding
            p = F.pad(x, (0, 0, 1, 1))
            # three fused multiply-adds over the frames (not six passes of mul and add)
            y = torch.addcmul(blk["dw_b"], p[:-2], blk["dw"][0])
            y.addcmul_(x, blk["dw"][1]).addcmul_(p[2:], blk["dw"][2])
            norm_w, norm_b = blk["norm"]
            y = F.layer_norm(y, (self.dim,), norm_w, norm_b, eps=1e-6)
            # the pointwise MLP frame by frame, in blocks of rows whose (rows, inter) activations stay in the
            # CPU's cache: on 8192 frames at once every elementwise pass over them goes to memory (1.5x slower)
            for a in range(0, rows, block):
                b = a + block
                if self.kernels is not None:
                    self._mlp_fused(blk, y[a:b], x[a:b])
                else:
                    x[a:b] += blk["pw2"](F.gelu(blk["pw1"](y[a:b])))
        x = F.layer_norm(x, (self.dim,), *self.final_norm, eps=1e-6)
        return x, starts, frames

    def _mlp_fused(self, blk: dict[str, Any], y: torch.Tensor, x: torch.Tensor) -> None:
        """x += pw2(GELU(pw1(y))) under int8 through the kernels: the products `_Int8Linear` makes (each row
        mapped onto [0, 1] by its own min and range, FBGEMM's int8 product, the mapping undone), with the
        passes between them fused into three."""
        K, rows, threads = self.kernels, y.shape[0], torch.get_num_threads()
        assert K is not None
        pw1, pw2 = blk["pw1"], blk["pw2"]
        z1 = torch.empty_like(y)
        lo1, r1, lo2, r2 = torch.empty((4, rows))
        K.row_unit(
            y.data_ptr(),
            y.stride(0),
            z1.data_ptr(),
            z1.stride(0),
            lo1.data_ptr(),
            r1.data_ptr(),
            rows,
            self.dim,
            threads,
        )
        u = torch.ops.quantized.linear_dynamic(z1, pw1.packed, True)
        K.dequant_gelu_unit(
            u.data_ptr(),
            u.stride(0),
            r1.data_ptr(),
            lo1.data_ptr(),
            pw1.wsum.data_ptr(),
            blk["pw1_bias"].data_ptr(),
            u.data_ptr(),
            u.stride(0),
            lo2.data_ptr(),
            r2.data_ptr(),
            rows,
            self.inter,
            threads,
        )
        v = torch.ops.quantized.linear_dynamic(u, pw2.packed, True)
        K.dequant_residual(
            v.data_ptr(),
            v.stride(0),
            r2.data_ptr(),
            lo2.data_ptr(),
            pw2.wsum.data_ptr(),
            blk["pw2_bias"].data_ptr(),
            x.data_ptr(),
            x.stride(0),
            rows,
            self.dim,
            threads,
        )

    @torch.inference_mode()
    def head(self, feats: torch.Tensor) -> torch.Tensor:
        """Features (F, dim) of one sequence -> audio ((F-1) * hop,) float32 via the ISTFT (centered)."""
        x = self.out(feats.float())  # (F, n_fft + 2)
        logmag, phase = x.chunk(2, dim=-1)
        mag = torch.exp(torch.clamp(logmag, max=math.log(D.SOPRANO_MAX_MAGNITUDE)))
        spec = torch.polar(mag, phase).T.contiguous()  # (bins, F)
        spec[0] = 0  # DC and Nyquist bins off, as trained
        spec[-1] = 0
        return torch.istft(spec, self.n_fft, self.hop, self.n_fft, self.window, center=True)

    def decode(self, hidden: list[torch.Tensor]) -> list[torch.Tensor]:
        """Audio per sequence, each ((T_i - 1) * samples_per_token,) float32 on the CPU."""
        out = []
        start = 0
        while start < len(hidden):
            # as many sequences as fit `frames_per_pass` packed rows (at least one)
            end, rows = start + 1, self.upscale * (hidden[start].shape[0] - 1) + 3
            while end < len(hidden):
                rows += self.upscale * (hidden[end].shape[0] - 1) + 2
                if rows > self.frames_per_pass:
                    break
                end += 1
            feats, starts, frames = self.backbone(hidden[start:end])
            for s0, f in zip(starts, frames, strict=True):
                out.append(torch.zeros(0) if f <= 1 else self.head(feats[s0 : s0 + f]).cpu())
            start = end
        return out
