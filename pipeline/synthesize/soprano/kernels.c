/* The Soprano LM's small per-layer operations on the CPU, fused: RMSNorm (with the residual add), q/k norm
 * with rotary embedding and the KV-cache write, decode attention over a slot cache, and SiLU-gated
 * products; and the int8 decoder's passes between its two pointwise products. The matrix products stay in
 * torch (FBGEMM / MKL / oneDNN); these are what lies between them, which in torch takes about 35 small
 * operations a LM layer and, at the few rows a decode step has, most of its time.
 *
 * float32 arithmetic in 256-bit vectors (AVX2 + FMA + F16C). The activations the matrix products read and
 * write may be bfloat16 (the `bf` flags: converted inline, round to nearest even), the residual stream stays
 * float32; the KV cache is float32 or float16 (`half`: read and written through F16C, which halves the bytes
 * a decode step's attention reads). Every row is computed by one thread in a fixed order, so a row's result
 * never depends on the rows beside it or on the thread count.
 *
 * Built by the package's build (setup.py) once per instruction-set variant: `avx2` (AVX2, FMA, F16C) and
 * `avx512` (AVX-512 F/BW/DQ/VL with BF16: the bfloat16 conversions in one instruction, EVEX code
 * elsewhere), with -ffp-contract=off, so every fused multiply-add is one written here and two compilers
 * round alike. Loaded by kernels.py (ctypes), which checks every argument first; the OpenMP pragmas use
 * torch's own OpenMP runtime, which is already loaded when this library is. */
#include <immintrin.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define KERNELS_ABI 5
#ifndef KERNELS_VARIANT
#define KERNELS_VARIANT "dev"
#endif
#ifndef KERNELS_SOURCE
#define KERNELS_SOURCE "unknown"
#endif
#ifndef KERNELS_FLAGS
#define KERNELS_FLAGS "unknown"
#endif
#ifdef __VERSION__
#define KERNELS_CC __VERSION__
#else
#define KERNELS_CC "unknown"
#endif

int kernels_abi(void) { return KERNELS_ABI; }

/* what was built, for the engine's identity: "variant=...;source=...;flags=...;cc=..." */
const char *kernels_build(void) {
    return "variant=" KERNELS_VARIANT ";source=" KERNELS_SOURCE ";flags=" KERNELS_FLAGS ";cc=" KERNELS_CC;
}

/* 8 activations from element i of a float32 (bf = 0) or bfloat16 (bf = 1) array, as float32 */
static inline __m256 ld8(const void *p, int64_t i, const int bf) {
    if (!bf) return _mm256_loadu_ps((const float *)p + i);
    __m128i h = _mm_loadu_si128((const __m128i *)((const uint16_t *)p + i));
    return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(h), 16));
}

/* 8 float32 as bfloat16, rounded to nearest even */
static inline __m128i to_bf16_8(__m256 v) {
#if defined(__AVX512BF16__) && defined(__AVX512VL__)
    return (__m128i)_mm256_cvtneps_pbh(v);
#else
    __m256i u = _mm256_castps_si256(v);
    __m256i odd = _mm256_and_si256(_mm256_srli_epi32(u, 16), _mm256_set1_epi32(1));
    u = _mm256_srli_epi32(_mm256_add_epi32(u, _mm256_add_epi32(odd, _mm256_set1_epi32(0x7fff))), 16);
    return _mm_packus_epi32(_mm256_castsi256_si128(u), _mm256_extracti128_si256(u, 1));
#endif
}

/* 8 activations into element i of a float32 (bf = 0) or bfloat16 (bf = 1) array */
static inline void st8(void *p, int64_t i, __m256 v, const int bf) {
    if (bf)
        _mm_storeu_si128((__m128i *)((uint16_t *)p + i), to_bf16_8(v));
    else
        _mm256_storeu_ps((float *)p + i, v);
}

/* 8 (or 1) cache values from element i of a float32 or float16 array, as float32 */
static inline __m256 load8(const void *base, int64_t i, const int half) {
    return half ? _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)((const uint16_t *)base + i)))
                : _mm256_loadu_ps((const float *)base + i);
}

#ifdef __AVX512F__
/* 16 cache values from element i of a float32 or float16 array, as float32 */
static inline __m512 load16(const void *base, int64_t i, const int half) {
    return half ? _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)((const uint16_t *)base + i)))
                : _mm512_loadu_ps((const float *)base + i);
}
#endif

static inline float load1(const void *base, int64_t i, const int half) {
    return half ? _cvtsh_ss(((const uint16_t *)base)[i]) : ((const float *)base)[i];
}

/* the threads a loop of `tasks` independent rows and `work` values in all is shared among: all of them when
 * there is enough work to pay for waking them, else one */
static inline int share(int threads, int64_t tasks, int64_t work) {
    return threads > 1 && tasks > 1 && work > 65536 ? threads : 1;
}

static inline float hsum8(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

static inline float hmax8(__m256 v) {
    __m128 s = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_max_ps(s, _mm_movehl_ps(s, s));
    s = _mm_max_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

/* e^x for 8 lanes: x = n ln2 + r with |r| <= ln2/2 (ln2 split in two for an exact product), e^r by its
 * Taylor series to r^7 (relative error below 1e-8 there), times 2^n built in the exponent bits. Inputs
 * are clamped to [-87, 88], where 2^n stays a normal float. */
static inline __m256 exp8(__m256 x) {
    x = _mm256_min_ps(_mm256_max_ps(x, _mm256_set1_ps(-87.0f)), _mm256_set1_ps(88.0f));
    __m256 n = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.4426950408889634f)),
                               _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693145751953125f), x);
    r = _mm256_fnmadd_ps(n, _mm256_set1_ps(1.428606765330187e-06f), r);
    __m256 p = _mm256_set1_ps(1.0f / 5040.0f);
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 720.0f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 120.0f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 24.0f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 6.0f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(0.5f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f));
    __m256i e = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
    return _mm256_mul_ps(p, _mm256_castsi256_ps(e));
}

static inline float exp1(float x) {
    float v[8] = {x, 0, 0, 0, 0, 0, 0, 0};
    _mm256_storeu_ps(v, exp8(_mm256_loadu_ps(v)));
    return v[0];
}

/* sum of squares of x[0..n), n a multiple of 8 */
static inline float sumsq(const float *x, int64_t n) {
    __m256 a = _mm256_setzero_ps(), b = _mm256_setzero_ps();
    int64_t i = 0;
    for (; i + 16 <= n; i += 16) {
        __m256 u = _mm256_loadu_ps(x + i), v = _mm256_loadu_ps(x + i + 8);
        a = _mm256_fmadd_ps(u, u, a);
        b = _mm256_fmadd_ps(v, v, b);
    }
    for (; i < n; i += 8) {
        __m256 u = _mm256_loadu_ps(x + i);
        a = _mm256_fmadd_ps(u, u, a);
    }
    return hsum8(_mm256_add_ps(a, b));
}

/* out = x * (mean(x^2) + eps)^-1/2 * w, row by row (Qwen3's RMSNorm in float32), out float32 or (obf)
 * bfloat16; dim a multiple of 8 */
static inline void rms_row(const float *x, const float *w, void *out, int64_t dim, float eps, int obf) {
    __m256 inv = _mm256_set1_ps(1.0f / sqrtf(sumsq(x, dim) / (float)dim + eps));
    for (int64_t i = 0; i < dim; i += 8)
        st8(out, i, _mm256_mul_ps(_mm256_mul_ps(_mm256_loadu_ps(x + i), inv), _mm256_loadu_ps(w + i)), obf);
}

void rms_norm(const float *x, int64_t xs, const float *w, void *out, int64_t os, int obf, int64_t rows,
              int64_t dim, float eps) {
    const int64_t esize = obf ? 2 : 4;
    for (int64_t r = 0; r < rows; r++)
        rms_row(x + r * xs, w, (char *)out + r * os * esize, dim, eps, obf);
}

/* h += y (the residual add; y float32 or, ybf, bfloat16), then out = RMSNorm(h) * w; both (rows, dim), h
 * contiguous float32, out float32 or (obf) bfloat16 */
void add_rms_norm(float *h, const void *y, int64_t ys, int ybf, const float *w, void *out, int64_t os, int obf,
                  int64_t rows, int64_t dim, float eps) {
    const int64_t ysize = ybf ? 2 : 4, osize = obf ? 2 : 4;
    for (int64_t r = 0; r < rows; r++) {
        float *hr = h + r * dim;
        const char *yr = (const char *)y + r * ys * ysize;
        for (int64_t i = 0; i < dim; i += 8)
            _mm256_storeu_ps(hr + i, _mm256_add_ps(_mm256_loadu_ps(hr + i), ld8(yr, i, ybf)));
        rms_row(hr, w, (char *)out + r * os * osize, dim, eps, obf);
    }
}

/* qkv rows src (rows, (heads + 2 kvh) hd), float32 or (sbf) bfloat16, q and k in the paired dim order (d,
 * d + hd/2 side by side): each q and k head RMS-normed over hd with its weight qkw ((heads + kvh), hd) and
 * rotated by rot (positions, hd/2) complex (cos, sin interleaved) at the row's position; the q heads are
 * written to q (rows, heads hd; float32, row stride qs, which may be src itself when src is float32), each
 * row's k and v into its cache slot at its position: K (slot, kv head, hd, positions) and V (slot, kv head,
 * positions, hd), by strides. hd a multiple of 8. */
void qk_rope_cache(const void *src, int64_t ss, int sbf, float *q, int64_t qs, const float *qkw, const float *rot,
                   const int64_t *slot, const int64_t *pos, int64_t rows, int64_t heads, int64_t kvh, int64_t hd,
                   float eps, void *kc, int64_t k_slot, int64_t k_head, int64_t k_dim,
                   void *vc, int64_t v_slot, int64_t v_head, int64_t v_pos, int half) {
    const int64_t esize = sbf ? 2 : 4;
    float *x = malloc((size_t)hd * sizeof(float));
    for (int64_t r = 0; r < rows; r++) {
        const char *row = (const char *)src + r * ss * esize;
        const float *c = rot + pos[r] * hd;
        for (int64_t j = 0; j < heads + 2 * kvh; j++) {
            for (int64_t i = 0; i < hd; i += 8)
                _mm256_storeu_ps(x + i, ld8(row, j * hd + i, sbf));
            if (j < heads + kvh) {
                rms_row(x, qkw + j * hd, x, hd, eps, 0);
                for (int64_t i = 0; i < hd; i += 2) {
                    float a = x[i], b = x[i + 1];
                    x[i] = a * c[i] - b * c[i + 1];
                    x[i + 1] = a * c[i + 1] + b * c[i];
                }
            }
            if (j < heads) {
                memcpy(q + r * qs + j * hd, x, (size_t)hd * sizeof(float));
            } else if (j < heads + kvh) {
                int64_t ko = slot[r] * k_slot + (j - heads) * k_head + pos[r];
                if (half)
                    for (int64_t d = 0; d < hd; d++)
                        ((uint16_t *)kc)[ko + d * k_dim] = _cvtss_sh(x[d], _MM_FROUND_TO_NEAREST_INT);
                else
                    for (int64_t d = 0; d < hd; d++)
                        ((float *)kc)[ko + d * k_dim] = x[d];
            } else {
                int64_t vo = slot[r] * v_slot + (j - heads - kvh) * v_head + pos[r] * v_pos;
                if (half)
                    for (int64_t d = 0; d < hd; d += 8)
                        _mm_storeu_si128((__m128i *)((uint16_t *)vc + vo + d),
                                         _mm256_cvtps_ph(_mm256_loadu_ps(x + d), _MM_FROUND_TO_NEAREST_INT));
                else
                    memcpy((float *)vc + vo, x, (size_t)hd * sizeof(float));
            }
        }
    }
    free(x);
}

/* G query heads (G <= 4, a constant after inlining, so the accumulators stay in registers) q (G, hd) with
 * head stride qh, against n positions: K (hd, n) with row stride kd, V (n, hd) with row stride vp; out
 * (G, hd) with head stride oh; ss: scratch of G * n floats. */
static inline __attribute__((always_inline)) void attend_g(const float *q, int64_t qh, const void *K,
        int64_t kd, const void *V, int64_t vp, int64_t n, int64_t hd, float scale, float *out, int64_t oh,
        float *ss, const int G, const int half) {
    const int64_t esize = half ? 2 : 4;
    int64_t t = 0;
#ifdef __AVX512F__
    /* scores: 32 positions at a time in 512-bit registers (the same operations per position as below, so the
     * same bits as the AVX2 build), each K row's 64-byte line read once */
    for (; t + 32 <= n; t += 32) {
        __m512 a[8];
        for (int h = 0; h < 2 * G; h++) a[h] = _mm512_setzero_ps();
        for (int64_t d = 0; d < hd; d++) {
            _mm_prefetch((const char *)K + (d * kd + t + 64) * esize, _MM_HINT_T0);
            __m512 k0 = load16(K, d * kd + t, half), k1 = load16(K, d * kd + t + 16, half);
            for (int h = 0; h < G; h++) {
                __m512 b = _mm512_set1_ps(q[h * qh + d]);
                a[2 * h] = _mm512_fmadd_ps(b, k0, a[2 * h]);
                a[2 * h + 1] = _mm512_fmadd_ps(b, k1, a[2 * h + 1]);
            }
        }
        for (int h = 0; h < G; h++) {
            _mm512_storeu_ps(ss + h * n + t, a[2 * h]);
            _mm512_storeu_ps(ss + h * n + t + 16, a[2 * h + 1]);
        }
    }
#endif
    /* scores: 16 positions at a time for the G heads, each K row read once */
    for (; t + 16 <= n; t += 16) {
        __m256 a[8];
        for (int h = 0; h < 2 * G; h++) a[h] = _mm256_setzero_ps();
        for (int64_t d = 0; d < hd; d++) {
            /* hd rows of K are read side by side, more streams than the hardware prefetcher follows: ask
             * for each row's line four blocks ahead */
            _mm_prefetch((const char *)K + (d * kd + t + 64) * esize, _MM_HINT_T0);
            __m256 k0 = load8(K, d * kd + t, half), k1 = load8(K, d * kd + t + 8, half);
            for (int h = 0; h < G; h++) {
                __m256 b = _mm256_broadcast_ss(q + h * qh + d);
                a[2 * h] = _mm256_fmadd_ps(b, k0, a[2 * h]);
                a[2 * h + 1] = _mm256_fmadd_ps(b, k1, a[2 * h + 1]);
            }
        }
        for (int h = 0; h < G; h++) {
            _mm256_storeu_ps(ss + h * n + t, a[2 * h]);
            _mm256_storeu_ps(ss + h * n + t + 8, a[2 * h + 1]);
        }
    }
    for (; t < n; t++)
        for (int h = 0; h < G; h++) {
            float acc = 0.0f;
            for (int64_t d = 0; d < hd; d++) acc += q[h * qh + d] * load1(K, d * kd + t, half);
            ss[h * n + t] = acc;
        }
    /* softmax numerators; the division is applied to the output */
    float inv[4];
    for (int h = 0; h < G; h++) {
        float *sh = ss + h * n;
        __m256 m8 = _mm256_set1_ps(-INFINITY);
        int64_t i = 0;
        for (; i + 8 <= n; i += 8) m8 = _mm256_max_ps(m8, _mm256_loadu_ps(sh + i));
        float m = hmax8(m8);
        for (; i < n; i++) m = sh[i] > m ? sh[i] : m;
        __m256 sc = _mm256_set1_ps(scale), mm = _mm256_set1_ps(m * scale), z8 = _mm256_setzero_ps();
        for (i = 0; i + 8 <= n; i += 8) {
            __m256 e = exp8(_mm256_fmsub_ps(_mm256_loadu_ps(sh + i), sc, mm));
            _mm256_storeu_ps(sh + i, e);
            z8 = _mm256_add_ps(z8, e);
        }
        float z = hsum8(z8);
        for (; i < n; i++) {
            sh[i] = exp1(sh[i] * scale - m * scale);
            z += sh[i];
        }
        inv[h] = 1.0f / z;
    }
    int64_t d0 = 0;
#ifdef __AVX512F__
    /* out = P V: 32 dims at a time in 512-bit registers (the same operations per dim as below) */
    for (; d0 + 32 <= hd; d0 += 32) {
        __m512 a[8];
        for (int h = 0; h < 2 * G; h++) a[h] = _mm512_setzero_ps();
        for (int64_t j = 0; j < n; j++) {
            __m512 v0 = load16(V, j * vp + d0, half), v1 = load16(V, j * vp + d0 + 16, half);
            for (int h = 0; h < G; h++) {
                __m512 p = _mm512_set1_ps(ss[h * n + j]);
                a[2 * h] = _mm512_fmadd_ps(p, v0, a[2 * h]);
                a[2 * h + 1] = _mm512_fmadd_ps(p, v1, a[2 * h + 1]);
            }
        }
        for (int h = 0; h < G; h++) {
            __m512 iv = _mm512_set1_ps(inv[h]);
            _mm512_storeu_ps(out + h * oh + d0, _mm512_mul_ps(a[2 * h], iv));
            _mm512_storeu_ps(out + h * oh + d0 + 16, _mm512_mul_ps(a[2 * h + 1], iv));
        }
    }
#endif
    /* out = P V: 16 dims at a time for the G heads, V rows streamed once per block of dims */
    for (int64_t d = d0; d < hd; d += 16) {
        __m256 a[8];
        for (int h = 0; h < 2 * G; h++) a[h] = _mm256_setzero_ps();
        if (d + 16 <= hd) {
            for (int64_t j = 0; j < n; j++) {
                __m256 v0 = load8(V, j * vp + d, half), v1 = load8(V, j * vp + d + 8, half);
                for (int h = 0; h < G; h++) {
                    __m256 p = _mm256_broadcast_ss(ss + h * n + j);
                    a[2 * h] = _mm256_fmadd_ps(p, v0, a[2 * h]);
                    a[2 * h + 1] = _mm256_fmadd_ps(p, v1, a[2 * h + 1]);
                }
            }
        } else {
            for (int64_t j = 0; j < n; j++) {
                __m256 v0 = load8(V, j * vp + d, half);
                for (int h = 0; h < G; h++)
                    a[2 * h] = _mm256_fmadd_ps(_mm256_broadcast_ss(ss + h * n + j), v0, a[2 * h]);
            }
        }
        for (int h = 0; h < G; h++) {
            __m256 iv = _mm256_set1_ps(inv[h]);
            _mm256_storeu_ps(out + h * oh + d, _mm256_mul_ps(a[2 * h], iv));
            if (d + 16 <= hd) _mm256_storeu_ps(out + h * oh + d + 8, _mm256_mul_ps(a[2 * h + 1], iv));
        }
    }
}

/* One (row, kv head): its g query heads against the slot's first n positions, four heads at a time. */
#define ATTEND_G(G) (half ? attend_g(qq, qh, K, kd, V, vp, n, hd, scale, oo, oh, ss, G, 1) \
                          : attend_g(qq, qh, K, kd, V, vp, n, hd, scale, oo, oh, ss, G, 0))
static void attend(const float *q, int64_t qh, const void *K, int64_t kd, const void *V, int64_t vp,
                   int64_t n, int64_t g, int64_t hd, float scale, float *out, int64_t oh, float *s, int half) {
    for (int64_t h0 = 0; h0 < g; h0 += 4) {
        const float *qq = q + h0 * qh;
        float *oo = out + h0 * oh, *ss = s + h0 * n;
        switch (g - h0 < 4 ? g - h0 : 4) {
            case 4: ATTEND_G(4); break;
            case 3: ATTEND_G(3); break;
            case 2: ATTEND_G(2); break;
            default: ATTEND_G(1); break;
        }
    }
}

/* Attention of every row (its q heads, at its position) over positions 0..pos[r] of its cache slot, grouped
 * query heads sharing their kv head; q (rows, heads, hd) float32 with row stride qs, out likewise with os,
 * float32 or (obf) bfloat16. hd is a multiple of 8. Rows x kv heads are shared among `threads` threads. */
void attention(const float *q, int64_t qs, const void *kc, int64_t k_slot, int64_t k_head, int64_t k_dim,
               const void *vc, int64_t v_slot, int64_t v_head, int64_t v_pos, const int64_t *slot,
               const int64_t *pos, int64_t rows, int64_t heads, int64_t kvh, int64_t hd, float scale,
               void *out, int64_t os, int obf, int threads, int half) {
    int64_t g = heads / kvh, tasks = rows * kvh, longest = 0, esize = half ? 2 : 4, osize = obf ? 2 : 4;
    for (int64_t r = 0; r < rows; r++) longest = pos[r] + 1 > longest ? pos[r] + 1 : longest;
    int nt = share(threads, tasks, tasks * longest * hd);
    #pragma omp parallel num_threads(nt)
    {
        float *s = malloc((size_t)(g * longest) * sizeof(float));
        float *o = malloc((size_t)(g * hd) * sizeof(float));
        #pragma omp for schedule(static)
        for (int64_t task = 0; task < tasks; task++) {
            int64_t r = task / kvh, j = task % kvh;
            float *dst = obf ? o : (float *)out + r * os + j * g * hd;
            attend(q + r * qs + j * g * hd, hd, (const char *)kc + (slot[r] * k_slot + j * k_head) * esize, k_dim,
                   (const char *)vc + (slot[r] * v_slot + j * v_head) * esize, v_pos, pos[r] + 1, g, hd, scale,
                   dst, hd, s, half);
            if (obf) {
                char *ob = (char *)out + (r * os + j * g * hd) * osize;
                for (int64_t i = 0; i < g * hd; i += 8) st8(ob, i, _mm256_loadu_ps(o + i), 1);
            }
        }
        free(o);
        free(s);
    }
}

/* out = silu(gate) * up, gate and up the two halves of each row of gu (rows, 2 inter), float32 or (gbf)
 * bfloat16; out float32 or (obf) bfloat16; inter a multiple of 8 */
void silu_mul(const void *gu, int64_t gs, int gbf, void *out, int64_t os, int obf, int64_t rows, int64_t inter,
              int threads) {
    const int64_t gsize = gbf ? 2 : 4, osize = obf ? 2 : 4;
    int nt = share(threads, rows, rows * inter);
    #pragma omp parallel for schedule(static) num_threads(nt)
    for (int64_t r = 0; r < rows; r++) {
        const char *g = (const char *)gu + r * gs * gsize, *u = g + inter * gsize;
        char *o = (char *)out + r * os * osize;
        for (int64_t i = 0; i < inter; i += 8) {
            __m256 x = ld8(g, i, gbf);
            __m256 e = exp8(_mm256_sub_ps(_mm256_setzero_ps(), x));
            __m256 s = _mm256_div_ps(x, _mm256_add_ps(_mm256_set1_ps(1.0f), e));
            st8(o, i, _mm256_mul_ps(s, ld8(u, i, gbf)), obf);
        }
    }
}

/* ---- the decoder's pointwise MLP under int8 (FBGEMM's dynamic linear on rows mapped onto [0, 1]) ---- */

/* erf for 8 lanes: Abramowitz & Stegun 7.1.26 (absolute error below 1.5e-7), odd symmetry */
static inline __m256 erf8(__m256 x) {
    const __m256 sign = _mm256_set1_ps(-0.0f);
    __m256 s = _mm256_and_ps(x, sign), a = _mm256_andnot_ps(sign, x);
    /* t = 1 / (1 + p a): the reciprocal estimate and one Newton step (about 23 bits), not a division */
    __m256 den = _mm256_fmadd_ps(_mm256_set1_ps(0.3275911f), a, _mm256_set1_ps(1.0f));
    __m256 t = _mm256_rcp_ps(den);
    t = _mm256_mul_ps(t, _mm256_fnmadd_ps(den, t, _mm256_set1_ps(2.0f)));
    __m256 p = _mm256_set1_ps(1.061405429f);
    p = _mm256_fmadd_ps(p, t, _mm256_set1_ps(-1.453152027f));
    p = _mm256_fmadd_ps(p, t, _mm256_set1_ps(1.421413741f));
    p = _mm256_fmadd_ps(p, t, _mm256_set1_ps(-0.284496736f));
    p = _mm256_fmadd_ps(p, t, _mm256_set1_ps(0.254829592f));
    p = _mm256_mul_ps(p, t);
    __m256 e = exp8(_mm256_sub_ps(_mm256_setzero_ps(), _mm256_mul_ps(a, a)));
    __m256 y = _mm256_fnmadd_ps(p, e, _mm256_set1_ps(1.0f));
    return _mm256_or_ps(y, s);
}

/* the row's min and range (at least 1e-30) over cols (a multiple of 8) */
static inline void row_range(const float *x, int64_t cols, float *lo, float *r) {
    __m256 mn = _mm256_loadu_ps(x), mx = mn;
    for (int64_t i = 8; i < cols; i += 8) {
        __m256 v = _mm256_loadu_ps(x + i);
        mn = _mm256_min_ps(mn, v);
        mx = _mm256_max_ps(mx, v);
    }
    float l = -hmax8(_mm256_sub_ps(_mm256_setzero_ps(), mn)), h = hmax8(mx), d = h - l;
    *lo = l;
    *r = d > 1e-30f ? d : 1e-30f;
}

/* z = (x - lo) / r over the row, its min mapped to exactly 0 and its max to exactly 1, so FBGEMM's
 * per-tensor activation scale over such rows is the same for every batch: a product by 1/r rounded one
 * step up (so the max lands at or above 1), then capped at 1 */
static inline void row_to_unit(const float *x, float *z, int64_t cols, float lo, float r) {
    __m256 l = _mm256_set1_ps(lo), inv = _mm256_set1_ps(nextafterf(1.0f / r, INFINITY)), one = _mm256_set1_ps(1.0f);
    for (int64_t i = 0; i < cols; i += 8)
        _mm256_storeu_ps(z + i, _mm256_min_ps(_mm256_mul_ps(_mm256_sub_ps(_mm256_loadu_ps(x + i), l), inv), one));
}

void row_unit(const float *x, int64_t xs, float *z, int64_t zs, float *lo, float *r, int64_t rows, int64_t cols,
              int threads) {
    int nt = share(threads, rows, rows * cols);
    #pragma omp parallel for schedule(static) num_threads(nt)
    for (int64_t i = 0; i < rows; i++) {
        row_range(x + i * xs, cols, lo + i, r + i);
        row_to_unit(x + i * xs, z + i * zs, cols, lo[i], r[i]);
    }
}

/* 8 values of y r + lo wsum + bias from column c: an int8 product of unit rows (r, lo: the row's range and
 * min), undone, with the bias */
static inline __m256 undo8(const float *y, int64_t c, __m256 r, __m256 lo, const float *wsum, const float *bias) {
    return _mm256_fmadd_ps(_mm256_loadu_ps(y + c), r, _mm256_fmadd_ps(lo, _mm256_loadu_ps(wsum + c), _mm256_loadu_ps(bias + c)));
}

/* v = y r + lo wsum + bias (the int8 product of unit rows, undone), then GELU(v) (exact, by erf) mapped onto
 * [0, 1] per row with its own lo2 and r2: the next product's input */
void dequant_gelu_unit(const float *y, int64_t ys, const float *r, const float *lo, const float *wsum,
                       const float *bias, float *z, int64_t zs, float *lo2, float *r2, int64_t rows, int64_t cols,
                       int threads) {
    int nt = share(threads, rows, rows * cols);
    #pragma omp parallel for schedule(static) num_threads(nt)
    for (int64_t i = 0; i < rows; i++) {
        const float *yi = y + i * ys;
        float *zi = z + i * zs;
        __m256 ri = _mm256_set1_ps(r[i]), li = _mm256_set1_ps(lo[i]);
        for (int64_t c = 0; c < cols; c += 8) {
            __m256 v = undo8(yi, c, ri, li, wsum, bias);
            __m256 e = erf8(_mm256_mul_ps(v, _mm256_set1_ps(0.70710678118654752f)));
            _mm256_storeu_ps(zi + c, _mm256_mul_ps(_mm256_mul_ps(_mm256_set1_ps(0.5f), v),
                                                   _mm256_add_ps(_mm256_set1_ps(1.0f), e)));
        }
        row_range(zi, cols, lo2 + i, r2 + i);
        row_to_unit(zi, zi, cols, lo2[i], r2[i]);
    }
}

/* x += y r + lo wsum + bias: the second product undone, into the residual stream */
void dequant_residual(const float *y, int64_t ys, const float *r, const float *lo, const float *wsum,
                      const float *bias, float *x, int64_t xs, int64_t rows, int64_t cols, int threads) {
    int nt = share(threads, rows, rows * cols);
    #pragma omp parallel for schedule(static) num_threads(nt)
    for (int64_t i = 0; i < rows; i++) {
        const float *yi = y + i * ys;
        float *xi = x + i * xs;
        __m256 ri = _mm256_set1_ps(r[i]), li = _mm256_set1_ps(lo[i]);
        for (int64_t c = 0; c < cols; c += 8) {
            __m256 v = undo8(yi, c, ri, li, wsum, bias);
            _mm256_storeu_ps(xi + c, _mm256_add_ps(_mm256_loadu_ps(xi + c), v));
        }
    }
}

/* ---- sampling: repetition penalty, temperature, softmax and top-k in one pass over each row ---- */

/* Per row of logits (rows, vocab): tokens already said (seen, one byte each) divided by the penalty when
 * positive and multiplied by it when not (CTRL, as transformers), then divided by the temperature; the k
 * likeliest tokens (k <= 256) with their softmax probabilities over the whole row, most likely first, into
 * probs and ids (rows, k). -inf logits have probability 0. scratch: vocab floats. */
void penalized_topk(const float *logits, int64_t ls, const uint8_t *seen, int64_t ss, int64_t rows, int64_t vocab,
                    float penalty, float temperature, int64_t k, float *probs, int64_t *ids, float *scratch) {
    const __m256 ninf = _mm256_set1_ps(-INFINITY);
    for (int64_t r = 0; r < rows; r++) {
        const float *x = logits + r * ls;
        const uint8_t *sn = seen + r * ss;
        float *t = scratch, m = -INFINITY;
        for (int64_t v = 0; v < vocab; v++) {
            float y = x[v];
            if (sn[v]) y = y > 0.0f ? y / penalty : y * penalty;
            y = y / temperature;
            t[v] = y;
            m = y > m ? y : m;
        }
        /* the softmax's denominator */
        __m256 mm = _mm256_set1_ps(m), z8 = _mm256_setzero_ps();
        int64_t v = 0;
        for (; v + 8 <= vocab; v += 8) {
            __m256 y = _mm256_loadu_ps(t + v);
            __m256 e = _mm256_andnot_ps(_mm256_cmp_ps(y, ninf, _CMP_EQ_OQ), exp8(_mm256_sub_ps(y, mm)));
            z8 = _mm256_add_ps(z8, e);
        }
        float z = hsum8(z8);
        for (; v < vocab; v++) z += t[v] == -INFINITY ? 0.0f : exp1(t[v] - m);
        /* the k largest, kept sorted (descending, the lower index first among equals) */
        float tv[256];
        int64_t ti[256], n = 0;
        for (v = 0; v < vocab; v++) {
            float y = t[v];
            if (n == k && !(y > tv[k - 1])) continue;
            int64_t j = n < k ? n++ : k - 1;
            while (j > 0 && y > tv[j - 1]) {
                tv[j] = tv[j - 1];
                ti[j] = ti[j - 1];
                j--;
            }
            tv[j] = y;
            ti[j] = v;
        }
        float inv = 1.0f / z;
        for (int64_t j = 0; j < k; j++) {
            float p = j < n && tv[j] != -INFINITY ? exp1(tv[j] - m) * inv : 0.0f;
            probs[r * k + j] = p;
            ids[r * k + j] = j < n ? ti[j] : 0;
        }
    }
}
