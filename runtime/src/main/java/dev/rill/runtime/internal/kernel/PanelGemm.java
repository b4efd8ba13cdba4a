package dev.rill.runtime.internal.kernel;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Register-tiled matrix-matrix products over a {@link Panel}, for many input rows at once (the projections of
 * a whole sequence, the recurrent products of a batch of streams). A tile is one slot of a block (two float
 * vectors of rows) times several input rows: per column, two weight vectors are loaded once and multiplied
 * into every row's broadcast input element, so the weights are read once per tile instead of once per row.
 * With six rows the twelve accumulators, the two weight vectors and the broadcast fill the sixteen AVX2
 * registers (the shape of the usual 6×16 AVX2 SGEMM micro-kernel).
 *
 * <p>Each row is summed column by column in exactly the order of {@link PanelGemv}'s one-row loops, so a row's
 * result is bitwise the same whichever tile computes it. Vector code stays inline in these methods (see
 * {@link VectorShapes}). Tiles are fp32; {@link #rows} also takes bf16 and int8 panels (tiles of four from
 * {@link PanelGemv#tile4}).
 */
final class PanelGemm {

  private static final ByteOrder ORDER = ByteOrder.nativeOrder();
  private static final VectorSpecies<Float> FLOATS = VectorShapes.FLOATS;
  private static final long VB = VectorShapes.VECTOR_BYTES;

  /** Input rows of the widest tile. */
  static final int ROWS = 6;

  private PanelGemm() {}

  /**
   * Two vectors of fp32 rows (one slot) for {@code groups} groups of 6 input rows, a group at a time:
   * {@code dst[r] = init[r] + W src[r]} for r = 0 .. 6 * groups - 1, rows {@code srcStride}, {@code initStride}
   * (0: one init for all) and {@code dstStride} bytes apart; each row summed column by column in the order of
   * {@link PanelGemv}, so bitwise the same result. The groups share one call (a call's fixed cost, some 140
   * cycles, is a large part of a short column loop) and the slot's weights stay in L1 between groups.
   */
  static void fp32Tile6(Panel panel, int block, int slot, MemorySegment src, long srcOffset, long srcStride,
      MemorySegment init, long initOffset, long initStride, MemorySegment dst, long dstOffset, long dstStride,
      int groups) {
    MemorySegment w = panel.data;
    long stride = panel.columnStride;
    long first = panel.offset(block, slot);
    int cols = panel.columns;
    for (int group = 0; group < groups; group++) {
      long at = first;
      FloatVector a00 = FloatVector.fromMemorySegment(FLOATS, init, initOffset + 0 * initStride + 0L * VB, ORDER);
      FloatVector a01 = FloatVector.fromMemorySegment(FLOATS, init, initOffset + 0 * initStride + 1L * VB, ORDER);
      FloatVector a10 = FloatVector.fromMemorySegment(FLOATS, init, initOffset + 1 * initStride + 0L * VB, ORDER);
      FloatVector a11 = FloatVector.fromMemorySegment(FLOATS, init, initOffset + 1 * initStride + 1L * VB, ORDER);
      FloatVector a20 = FloatVector.fromMemorySegment(FLOATS, init, initOffset + 2 * initStride + 0L * VB, ORDER);
      FloatVector a21 = FloatVector.fromMemorySegment(FLOATS, init, initOffset + 2 * initStride + 1L * VB, ORDER);
      FloatVector a30 = FloatVector.fromMemorySegment(FLOATS, init, initOffset + 3 * initStride + 0L * VB, ORDER);
      FloatVector a31 = FloatVector.fromMemorySegment(FLOATS, init, initOffset + 3 * initStride + 1L * VB, ORDER);
      FloatVector a40 = FloatVector.fromMemorySegment(FLOATS, init, initOffset + 4 * initStride + 0L * VB, ORDER);
      FloatVector a41 = FloatVector.fromMemorySegment(FLOATS, init, initOffset + 4 * initStride + 1L * VB, ORDER);
      FloatVector a50 = FloatVector.fromMemorySegment(FLOATS, init, initOffset + 5 * initStride + 0L * VB, ORDER);
      FloatVector a51 = FloatVector.fromMemorySegment(FLOATS, init, initOffset + 5 * initStride + 1L * VB, ORDER);
      long s0 = srcOffset + 0 * srcStride;
      long s1 = srcOffset + 1 * srcStride;
      long s2 = srcOffset + 2 * srcStride;
      long s3 = srcOffset + 3 * srcStride;
      long s4 = srcOffset + 4 * srcStride;
      long s5 = srcOffset + 5 * srcStride;
      for (int col = 0; col < cols; col++, at += stride) {
        FloatVector w0 = FloatVector.fromMemorySegment(FLOATS, w, at, ORDER);
        FloatVector w1 = FloatVector.fromMemorySegment(FLOATS, w, at + VB, ORDER);
        long c4 = col * 4L;
        FloatVector x0 = FloatVector.broadcast(FLOATS, src.get(JAVA_FLOAT, s0 + c4));
        a00 = w0.fma(x0, a00);
        a01 = w1.fma(x0, a01);
        FloatVector x1 = FloatVector.broadcast(FLOATS, src.get(JAVA_FLOAT, s1 + c4));
        a10 = w0.fma(x1, a10);
        a11 = w1.fma(x1, a11);
        FloatVector x2 = FloatVector.broadcast(FLOATS, src.get(JAVA_FLOAT, s2 + c4));
        a20 = w0.fma(x2, a20);
        a21 = w1.fma(x2, a21);
        FloatVector x3 = FloatVector.broadcast(FLOATS, src.get(JAVA_FLOAT, s3 + c4));
        a30 = w0.fma(x3, a30);
        a31 = w1.fma(x3, a31);
        FloatVector x4 = FloatVector.broadcast(FLOATS, src.get(JAVA_FLOAT, s4 + c4));
        a40 = w0.fma(x4, a40);
        a41 = w1.fma(x4, a41);
        FloatVector x5 = FloatVector.broadcast(FLOATS, src.get(JAVA_FLOAT, s5 + c4));
        a50 = w0.fma(x5, a50);
        a51 = w1.fma(x5, a51);
      }
      a00.intoMemorySegment(dst, dstOffset + 0 * dstStride + 0L * VB, ORDER);
      a01.intoMemorySegment(dst, dstOffset + 0 * dstStride + 1L * VB, ORDER);
      a10.intoMemorySegment(dst, dstOffset + 1 * dstStride + 0L * VB, ORDER);
      a11.intoMemorySegment(dst, dstOffset + 1 * dstStride + 1L * VB, ORDER);
      a20.intoMemorySegment(dst, dstOffset + 2 * dstStride + 0L * VB, ORDER);
      a21.intoMemorySegment(dst, dstOffset + 2 * dstStride + 1L * VB, ORDER);
      a30.intoMemorySegment(dst, dstOffset + 3 * dstStride + 0L * VB, ORDER);
      a31.intoMemorySegment(dst, dstOffset + 3 * dstStride + 1L * VB, ORDER);
      a40.intoMemorySegment(dst, dstOffset + 4 * dstStride + 0L * VB, ORDER);
      a41.intoMemorySegment(dst, dstOffset + 4 * dstStride + 1L * VB, ORDER);
      a50.intoMemorySegment(dst, dstOffset + 5 * dstStride + 0L * VB, ORDER);
      a51.intoMemorySegment(dst, dstOffset + 5 * dstStride + 1L * VB, ORDER);
      srcOffset += ROWS * srcStride;
      initOffset += ROWS * initStride;
      dstOffset += ROWS * dstStride;
    }
  }

  /** {@link #fp32Tile6} for 3 input rows (six accumulators), for the remainder of a batch. */
  static void fp32Tile3(Panel panel, int block, int slot, MemorySegment src, long srcOffset, long srcStride,
      MemorySegment init, long initOffset, long initStride, MemorySegment dst, long dstOffset, long dstStride) {
    MemorySegment w = panel.data;
    long stride = panel.columnStride;
    long at = panel.offset(block, slot);
    int cols = panel.columns;
    FloatVector a00 = FloatVector.fromMemorySegment(FLOATS, init, initOffset + 0 * initStride + 0L * VB, ORDER);
    FloatVector a01 = FloatVector.fromMemorySegment(FLOATS, init, initOffset + 0 * initStride + 1L * VB, ORDER);
    FloatVector a10 = FloatVector.fromMemorySegment(FLOATS, init, initOffset + 1 * initStride + 0L * VB, ORDER);
    FloatVector a11 = FloatVector.fromMemorySegment(FLOATS, init, initOffset + 1 * initStride + 1L * VB, ORDER);
    FloatVector a20 = FloatVector.fromMemorySegment(FLOATS, init, initOffset + 2 * initStride + 0L * VB, ORDER);
    FloatVector a21 = FloatVector.fromMemorySegment(FLOATS, init, initOffset + 2 * initStride + 1L * VB, ORDER);
    long s0 = srcOffset + 0 * srcStride;
    long s1 = srcOffset + 1 * srcStride;
    long s2 = srcOffset + 2 * srcStride;
    for (int col = 0; col < cols; col++, at += stride) {
      FloatVector w0 = FloatVector.fromMemorySegment(FLOATS, w, at, ORDER);
      FloatVector w1 = FloatVector.fromMemorySegment(FLOATS, w, at + VB, ORDER);
      long c4 = col * 4L;
      FloatVector x0 = FloatVector.broadcast(FLOATS, src.get(JAVA_FLOAT, s0 + c4));
      a00 = w0.fma(x0, a00);
      a01 = w1.fma(x0, a01);
      FloatVector x1 = FloatVector.broadcast(FLOATS, src.get(JAVA_FLOAT, s1 + c4));
      a10 = w0.fma(x1, a10);
      a11 = w1.fma(x1, a11);
      FloatVector x2 = FloatVector.broadcast(FLOATS, src.get(JAVA_FLOAT, s2 + c4));
      a20 = w0.fma(x2, a20);
      a21 = w1.fma(x2, a21);
    }
    a00.intoMemorySegment(dst, dstOffset + 0 * dstStride + 0L * VB, ORDER);
    a01.intoMemorySegment(dst, dstOffset + 0 * dstStride + 1L * VB, ORDER);
    a10.intoMemorySegment(dst, dstOffset + 1 * dstStride + 0L * VB, ORDER);
    a11.intoMemorySegment(dst, dstOffset + 1 * dstStride + 1L * VB, ORDER);
    a20.intoMemorySegment(dst, dstOffset + 2 * dstStride + 0L * VB, ORDER);
    a21.intoMemorySegment(dst, dstOffset + 2 * dstStride + 1L * VB, ORDER);
  }

  /**
   * {@code dst[k] = init[k] + panel[block, slot] · src[k]} for {@code count} rows k: fp32 in tiles of six
   * (the last six and a remainder of one or two as tiles of four and three), else tiles of four, and the rest
   * one row at a time. Every row is summed in the same order whatever its tile.
   */
  static void rows(Panel panel, int block, int slot, MemorySegment src, long srcRows, long srcStride,
      MemorySegment init, long initAt, long initStride, MemorySegment dst, long dstAt, long dstStride, int count) {
    int k = 0;
    boolean fp32 = panel.precision == WeightPrecision.FP32;
    if (fp32) {
      int sixes = count / ROWS;
      int rest = count % ROWS;
      if (sixes > 0 && (rest == 1 || rest == 2)) {
        sixes--; // 6 + 1 = 4 + 3 and 6 + 2 = 4 + 4: tiles of at least six accumulators
      }
      fp32Tile6(panel, block, slot, src, srcRows, srcStride, init, initAt, initStride, dst, dstAt,
          dstStride, sixes);
      k = sixes * ROWS;
    }
    for (; count - k >= 4; k += 4) {
      PanelGemv.tile4(panel, block, slot, src, srcRows + k * srcStride, srcStride, init, initAt + k * initStride,
          initStride, dst, dstAt + k * dstStride, dstStride);
    }
    if (fp32 && count - k == 3) {
      fp32Tile3(panel, block, slot, src, srcRows + k * srcStride, srcStride, init,
          initAt + k * initStride, initStride, dst, dstAt + k * dstStride, dstStride);
      k += 3;
    }
    for (; k < count; k++) {
      PanelGemv.run(panel, 2, block, slot, src, srcRows + k * srcStride, init, initAt + k * initStride, dst,
          dstAt + k * dstStride);
    }
  }
}
