package dev.rill.trainer.math;

import jdk.incubator.vector.FloatVector;

/**
 * The Vector API product: b packed in panels of {@link #nr} columns (a few vectors), c computed in register tiles of
 * {@link #mr} rows by one panel, each tile a single pass over k with its accumulators in registers. Each element of
 * c is one fused multiply-add chain over k in increasing order, from zero, then added to c when accumulating: the
 * same whichever tile, thread or packing computes it.
 *
 * <p>op(a) is read in place: as {@link #mr} sequential streams when it is a, as {@link #mr} consecutive floats of
 * each of k rows when it is aᵀ; only a bottom-edge tile of aᵀ is first copied into a per-thread buffer. Tiles at
 * the bottom and right edges are computed into a per-thread tile buffer and the valid part
 * copied out. Thread-safe; the per-thread buffers are reused, so products of a steady shape do not allocate.
 *
 * <p>The tile kernels are generated per vector width in the subclasses, whose species are constants C2 folds.
 */
abstract class VectorGemm extends AbstractGemm {

  /** Floats of packed b per block of panels swept by all row tiles before the next block: about half an L2. */
  private static final int BLOCK_FLOATS = 96 * 1024;

  private final ThreadLocal<Scratch> scratch = ThreadLocal.withInitial(() -> new Scratch(mr() * nr()));

  private static final class Scratch {
    final float[] tile;
    float[] packedA = new float[0];

    Scratch(int tileSize) {
      tile = new float[tileSize];
    }
  }

  /** Bits of this machine's preferred float vectors. */
  static int preferredBits() {
    return FloatVector.SPECIES_PREFERRED.vectorBitSize();
  }

  static VectorGemm preferred() {
    return ofBits(FloatVector.SPECIES_PREFERRED.vectorBitSize());
  }

  static VectorGemm ofBits(int bits) {
    int max = FloatVector.SPECIES_MAX.vectorBitSize();
    if (bits > max) {
      throw new IllegalArgumentException("this machine has no " + bits + "-bit float vectors (the widest are " + max
          + " bits)");
    }
    return switch (bits) {
      case 128 -> VectorGemm128.INSTANCE;
      case 256 -> VectorGemm256.INSTANCE;
      case 512 -> VectorGemm512.INSTANCE;
      default -> throw new IllegalArgumentException("vector width " + bits + " bits: expected 128, 256 or 512");
    };
  }

  /** Rows per register tile. */
  abstract int mr();

  /** Columns per register tile: the panel width. */
  abstract int nr();

  @Override
  final int panelWidth() {
    return nr();
  }

  /**
   * One tile from op(a) = a: {@code out[o + r * ldo + j] = (acc ? out : 0) + sum_p a[a0 + r * lda + p] b[b0 + p * nr + j]}
   * for r below {@code rows} (rows from {@code rows} to {@link #mr} repeat the last row), j below {@link #nr}.
   */
  abstract void tileRows(float[] a, int a0, int lda, int rows, float[] b, int b0, int k, float[] out, int o, int ldo,
      boolean acc);

  /** One tile from op(a) = aᵀ read in place: a(r, p) at {@code a[a0 + p * lda + r]}, all {@link #mr} rows valid. */
  abstract void tileColumns(float[] a, int a0, int lda, float[] b, int b0, int k, float[] out, int o, int ldo,
      boolean acc);

  /** One tile from op(a) packed by rows of {@link #mr}: a(r, p) at {@code a[a0 + p * mr + r]}. */
  abstract void tilePacked(float[] a, int a0, float[] b, int b0, int k, float[] out, int o, int ldo, boolean acc);

  @Override
  final void compute(FloatMatrix a, boolean transposeA, PackedMatrix b, FloatMatrix c, boolean accumulate, int part,
      int parts) {
    int mr = mr();
    int nr = nr();
    int m = c.rows();
    int n = c.cols();
    int k = b.rows();
    int tiles = (m + mr - 1) / mr;
    int panels = (n + nr - 1) / nr;
    int t0 = 0;
    int t1 = tiles;
    int q0 = 0;
    int q1 = panels;
    if (parts > 1) {
      if (panels >= tiles) {
        q0 = (int) ((long) panels * part / parts);
        q1 = (int) ((long) panels * (part + 1) / parts);
      } else {
        t0 = (int) ((long) tiles * part / parts);
        t1 = (int) ((long) tiles * (part + 1) / parts);
      }
    }
    if (t0 >= t1 || q0 >= q1) {
      return;
    }
    Scratch s = scratch.get();
    float[] bd = b.data();
    float[] cd = c.data();
    int ldc = c.stride();
    if (transposeA) {
      // A full tile reads aᵀ in place, mr consecutive floats from each of k rows of a. Copying tiles of aᵀ into
      // panels first (four tiles at a time) was measured 1.3-2x slower for Gᵀ·X at stride 1024, as fast at 256.
      float[] ad = a.data();
      int lda = a.stride();
      for (int t = t0; t < t1; t++) {
        int i = t * mr;
        int rows = Math.min(mr, m - i);
        if (rows < mr) {
          if (s.packedA.length < mr * k) {
            s.packedA = new float[mr * k];
          }
          packRows(a, i, rows, k, s.packedA, mr);
        }
        for (int q = q0; q < q1; q++) {
          int j = q * nr;
          int cols = Math.min(nr, n - j);
          boolean full = rows == mr && cols == nr;
          float[] out = full ? cd : s.tile;
          int o = full ? c.offset() + i * ldc + j : 0;
          int ldo = full ? ldc : nr;
          boolean acc = full && accumulate;
          if (rows == mr) {
            tileColumns(ad, a.offset() + i, lda, bd, b.panelStart(q), k, out, o, ldo, acc);
          } else {
            tilePacked(s.packedA, 0, bd, b.panelStart(q), k, out, o, ldo, acc);
          }
          if (!full) {
            copyEdge(s.tile, nr, rows, cols, cd, c.offset() + i * ldc + j, ldc, accumulate);
          }
        }
      }
    } else {
      float[] ad = a.data();
      int lda = a.stride();
      int block = Math.max(1, BLOCK_FLOATS / Math.max(1, k * nr));
      for (int qb = q0; qb < q1; qb += block) {
        int qe = Math.min(q1, qb + block);
        for (int t = t0; t < t1; t++) {
          int i = t * mr;
          int rows = Math.min(mr, m - i);
          int a0 = a.offset() + i * lda;
          for (int q = qb; q < qe; q++) {
            int j = q * nr;
            int cols = Math.min(nr, n - j);
            if (rows == mr && cols == nr) {
              tileRows(ad, a0, lda, rows, bd, b.panelStart(q), k, cd, c.offset() + i * ldc + j, ldc, accumulate);
            } else {
              tileRows(ad, a0, lda, rows, bd, b.panelStart(q), k, s.tile, 0, nr, false);
              copyEdge(s.tile, nr, rows, cols, cd, c.offset() + i * ldc + j, ldc, accumulate);
            }
          }
        }
      }
    }
  }

  /**
   * Rows i .. i + rows - 1 of op(a) = aᵀ into consecutive tile panels of {@code mr} rows: row i + r at panel
   * {@code r / mr}, a(r, p) at {@code ap[(r / mr) * mr * k + p * mr + r % mr]}, the rows missing in the last panel 0.
   */
  private static void packRows(FloatMatrix a, int i, int rows, int k, float[] ap, int mr) {
    float[] ad = a.data();
    int lda = a.stride();
    int src = a.offset() + i;
    int panels = (rows + mr - 1) / mr;
    for (int p = 0; p < k; p++) {
      int s = src + p * lda;
      for (int t = 0; t < panels; t++) {
        int d = t * mr * k + p * mr;
        int valid = Math.min(mr, rows - t * mr);
        if (valid == 8 && mr == 8) {
          // One 256-bit vector (the 512-bit tiles have 8 rows).
          FloatVector.fromArray(FloatVector.SPECIES_256, ad, s + t * 8).intoArray(ap, d);
          continue;
        }
        for (int r = 0; r < valid; r++) {
          ap[d + r] = ad[s + t * mr + r];
        }
        for (int r = valid; r < mr; r++) {
          ap[d + r] = 0f;
        }
      }
    }
  }

  private static void copyEdge(float[] tile, int nr, int rows, int cols, float[] c, int c0, int ldc,
      boolean accumulate) {
    for (int r = 0; r < rows; r++) {
      int t = r * nr;
      int d = c0 + r * ldc;
      if (accumulate) {
        for (int j = 0; j < cols; j++) {
          c[d + j] += tile[t + j];
        }
      } else {
        System.arraycopy(tile, t, c, d, cols);
      }
    }
  }
}
