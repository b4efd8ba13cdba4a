package dev.rill.runtime.internal.kernel;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
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
 * result is bitwise the same whichever tile computes it. The tiles themselves are generated with the other
 * loops in {@link PanelGemv} ({@code fp32Columns3}, {@code 4} and {@code 6}); this class picks them for a
 * number of rows and prepares reduced-precision slots for them. Tiles are fp32; {@link #rows} also takes bf16
 * panels (widened a slot at a time into scratch, then the fp32 tiles) and int8 panels (the same, summing from
 * zero and applying the row scale after the sum, as the int8 kernels do).
 */
final class PanelGemm {

  private static final ByteOrder ORDER = ByteOrder.nativeOrder();
  private static final VectorSpecies<Float> FLOATS = VectorShapes.FLOATS;
  private static final long VB = VectorShapes.VECTOR_BYTES;

  /** Input rows of the widest tile. */
  static final int ROWS = 6;

  /** int8 rows per pass of {@link #rows}: the unscaled sums of a pass wait in scratch for their scale. */
  private static final int INT8_CHUNK = 8 * ROWS;

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
    PanelGemv.fp32Columns6(panel.data, panel.offset(block, slot), panel.columnStride, panel.columns, src, srcOffset,
        srcStride, init, initOffset, initStride, dst, dstOffset, dstStride, groups);
  }

  /**
   * Bytes of scratch {@link #rows} uses for a panel: one slot widened to fp32 (two vectors per column) for
   * bf16, none otherwise.
   */
  static long scratchBytes(Panel panel) {
    return switch (panel.precision) {
      case FP32 -> 0;
      case BF16 -> panel.columns * 2L * VB;
      // The widened slot, a zero slot to start the sums from, and the unscaled sums of a chunk of rows.
      case INT8 -> (panel.columns + 1L + INT8_CHUNK) * 2 * VB;
    };
  }

  /**
   * {@code dst[k] = init[k] + panel[block, slot] · src[k]} for {@code count} rows k: fp32 in tiles of six
   * (the last six and a remainder of one or two as tiles of four and three), else tiles of four, and the rest
   * one row at a time. Every row is summed in the same order whatever its tile. A bf16 or int8 slot with six
   * rows or more is first widened into {@code scratch} ({@link #scratchBytes} bytes at {@code scratchAt}) and
   * then tiled as fp32: widening once per slot costs less than once per tile, and the exact widened values give
   * the same sums (int8: the unscaled sums, then the row scale, as in its own kernels).
   */
  static void rows(Panel panel, int block, int slot, MemorySegment src, long srcRows, long srcStride,
      MemorySegment init, long initAt, long initStride, MemorySegment dst, long dstAt, long dstStride, int count,
      MemorySegment scratch, long scratchAt) {
    if (panel.precision == WeightPrecision.FP32) {
      fp32Rows(panel, block, slot, panel.data, panel.offset(block, slot), panel.columnStride, src, srcRows,
          srcStride, init, initAt, initStride, dst, dstAt, dstStride, count);
    } else if (panel.precision == WeightPrecision.BF16 && count >= ROWS) {
      widenBf16(panel, block, slot, scratch, scratchAt);
      fp32Rows(panel, block, slot, scratch, scratchAt, 2 * VB, src, srcRows, srcStride, init, initAt, initStride,
          dst, dstAt, dstStride, count);
    } else if (panel.precision == WeightPrecision.INT8 && count >= ROWS) {
      int8Rows(panel, block, slot, src, srcRows, srcStride, init, initAt, initStride, dst, dstAt, dstStride, count,
          scratch, scratchAt);
    } else {
      int k = 0;
      for (; count - k >= 4; k += 4) {
        PanelGemv.tile4(panel, block, slot, src, srcRows + k * srcStride, srcStride, init,
            initAt + k * initStride, initStride, dst, dstAt + k * dstStride, dstStride);
      }
      singleRows(panel, block, slot, src, srcRows, srcStride, init, initAt, initStride, dst, dstAt, dstStride, k,
          count);
    }
  }

  /**
   * {@link #rows} with the slot's weights also given as fp32 columns {@code stride} bytes apart from
   * {@code first} in {@code w} (the panel itself, or a bf16 slot widened): tiles of six, four and three from
   * those, single rows from the panel.
   */
  private static void fp32Rows(Panel panel, int block, int slot, MemorySegment w, long first, long stride,
      MemorySegment src, long srcRows, long srcStride, MemorySegment init, long initAt, long initStride,
      MemorySegment dst, long dstAt, long dstStride, int count) {
    int cols = panel.columns;
    int sixes = count / ROWS;
    int rest = count % ROWS;
    if (sixes > 0 && (rest == 1 || rest == 2)) {
      sixes--; // 6 + 1 = 4 + 3 and 6 + 2 = 4 + 4: tiles of at least six accumulators
    }
    PanelGemv.fp32Columns6(w, first, stride, cols, src, srcRows, srcStride, init, initAt, initStride, dst, dstAt,
        dstStride, sixes);
    int k = sixes * ROWS;
    int fours = (count - k) / 4;
    PanelGemv.fp32Columns4(w, first, stride, cols, src, srcRows + k * srcStride, srcStride, init,
        initAt + k * initStride, initStride, dst, dstAt + k * dstStride, dstStride, fours);
    k += 4 * fours;
    if (count - k == 3) {
      PanelGemv.fp32Columns3(w, first, stride, cols, src, srcRows + k * srcStride, srcStride, init,
          initAt + k * initStride, initStride, dst, dstAt + k * dstStride, dstStride, 1);
      k += 3;
    }
    singleRows(panel, block, slot, src, srcRows, srcStride, init, initAt, initStride, dst, dstAt, dstStride, k,
        count);
  }

  private static void singleRows(Panel panel, int block, int slot, MemorySegment src, long srcRows, long srcStride,
      MemorySegment init, long initAt, long initStride, MemorySegment dst, long dstAt, long dstStride, int from,
      int count) {
    for (int k = from; k < count; k++) {
      PanelGemv.run(panel, 2, block, slot, src, srcRows + k * srcStride, init, initAt + k * initStride, dst,
          dstAt + k * dstStride);
    }
  }

  /**
   * {@link #rows} for an int8 slot of six rows or more, tiled as {@link #fp32Rows}: the six- and three-row tiles
   * sum the slot widened to unscaled floats from zero into scratch, then {@code dst = sum * scale + init} per
   * row; the tiles of four and single rows are the int8 kernels'.
   */
  private static void int8Rows(Panel panel, int block, int slot, MemorySegment src, long srcRows, long srcStride,
      MemorySegment init, long initAt, long initStride, MemorySegment dst, long dstAt, long dstStride, int count,
      MemorySegment scratch, long scratchAt) {
    int cols = panel.columns;
    long zeroAt = scratchAt + cols * 2L * VB;
    long sumsAt = zeroAt + 2 * VB;
    long row = 2 * VB;
    widenInt8(panel, block, slot, scratch, scratchAt);
    FloatVector zero = FloatVector.zero(FLOATS);
    zero.intoMemorySegment(scratch, zeroAt, ORDER);
    zero.intoMemorySegment(scratch, zeroAt + VB, ORDER);
    for (int first = 0; first < count; first += INT8_CHUNK) {
      int n = Math.min(INT8_CHUNK, count - first);
      long srcFirst = srcRows + first * srcStride;
      long initFirst = initAt + first * initStride;
      long dstFirst = dstAt + first * dstStride;
      int sixes = n / ROWS;
      int rest = n % ROWS;
      if (sixes > 0 && (rest == 1 || rest == 2)) {
        sixes--; // as in fp32Rows: tiles of at least six accumulators
      }
      PanelGemv.fp32Columns6(scratch, scratchAt, row, cols, src, srcFirst, srcStride, scratch, zeroAt, 0, scratch,
          sumsAt, row, sixes);
      int k = sixes * ROWS;
      scaleSums(panel, block, slot, scratch, sumsAt, init, initFirst, initStride, dst, dstFirst, dstStride, 0, k);
      for (; n - k >= 4; k += 4) {
        PanelGemv.tile4(panel, block, slot, src, srcFirst + k * srcStride, srcStride, init,
            initFirst + k * initStride, initStride, dst, dstFirst + k * dstStride, dstStride);
      }
      if (n - k == 3) {
        PanelGemv.fp32Columns3(scratch, scratchAt, row, cols, src, srcFirst + k * srcStride, srcStride, scratch,
            zeroAt, 0, scratch, sumsAt + k * row, row, 1);
        scaleSums(panel, block, slot, scratch, sumsAt, init, initFirst, initStride, dst, dstFirst, dstStride, k,
            k + 3);
        k += 3;
      }
      singleRows(panel, block, slot, src, srcFirst, srcStride, init, initFirst, initStride, dst, dstFirst,
          dstStride, k, n);
    }
  }

  /** {@code dst[k] = sums[k] * scale + init[k]} for the rows k in [from, to) (int8: its kernels' last step). */
  private static void scaleSums(Panel panel, int block, int slot, MemorySegment sums, long sumsAt,
      MemorySegment init, long initAt, long initStride, MemorySegment dst, long dstAt, long dstStride, int from,
      int to) {
    long scaleAt = panel.scaleOffset(block, slot);
    FloatVector scale0 = FloatVector.fromMemorySegment(FLOATS, panel.scales, scaleAt, ORDER);
    FloatVector scale1 = FloatVector.fromMemorySegment(FLOATS, panel.scales, scaleAt + VB, ORDER);
    for (int k = from; k < to; k++) {
      long sum = sumsAt + k * 2 * VB;
      long in = initAt + k * initStride;
      long out = dstAt + k * dstStride;
      FloatVector init0 = FloatVector.fromMemorySegment(FLOATS, init, in, ORDER);
      FloatVector init1 = FloatVector.fromMemorySegment(FLOATS, init, in + VB, ORDER);
      FloatVector.fromMemorySegment(FLOATS, sums, sum, ORDER).fma(scale0, init0).intoMemorySegment(dst, out, ORDER);
      FloatVector.fromMemorySegment(FLOATS, sums, sum + VB, ORDER).fma(scale1, init1)
          .intoMemorySegment(dst, out + VB, ORDER);
    }
  }

  /** Writes an int8 slot's columns as unscaled floats, two vectors per column, at {@code at} (as its kernels do). */
  private static void widenInt8(Panel panel, int block, int slot, MemorySegment out, long at) {
    MemorySegment w = panel.data;
    long stride = panel.columnStride;
    long from = panel.offset(block, slot);
    for (int col = 0; col < panel.columns; col++, from += stride, at += 2 * VB) {
      ByteVector.fromMemorySegment(VectorShapes.BYTES, w, from, ORDER)
          .convertShape(VectorOperators.B2F, FLOATS, 0).intoMemorySegment(out, at, ORDER);
      ByteVector.fromMemorySegment(VectorShapes.BYTES, w, from + VectorShapes.LANES, ORDER)
          .convertShape(VectorOperators.B2F, FLOATS, 0).intoMemorySegment(out, at + VB, ORDER);
    }
  }

  /** Writes a bf16 slot's columns as fp32, two vectors per column, at {@code at} (the bf16 kernels' widening). */
  private static void widenBf16(Panel panel, int block, int slot, MemorySegment out, long at) {
    MemorySegment w = panel.data;
    long stride = panel.columnStride;
    long from = panel.offset(block, slot);
    for (int col = 0; col < panel.columns; col++, from += stride, at += 2 * VB) {
      IntVector pair = IntVector.fromMemorySegment(VectorShapes.INTS, w, from, ORDER);
      pair.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().intoMemorySegment(out, at, ORDER);
      pair.and(0xFFFF0000).reinterpretAsFloats().intoMemorySegment(out, at + VB, ORDER);
    }
  }
}
