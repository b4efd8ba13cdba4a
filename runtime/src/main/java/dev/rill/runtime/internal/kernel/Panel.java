package dev.rill.runtime.internal.kernel;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * A weight matrix repacked in the column-blocked "panel" layout of the vector kernels. The rows are grouped
 * in blocks; a block has {@code slots} slots of {@code units} rows each (for a cell: one slot per gate, the
 * same hidden units in every slot). Within a block, column {@code c} stores the values of all its rows
 * contiguously, slot after slot, so a kernel broadcasts one input element and multiplies it into whole
 * vectors of rows. Rows past the end of the matrix are zero.
 *
 * <p>Element (block b, column c, slot p, unit u) lives at element index {@code ((b * columns + c) * slots + p)
 * * units + u}, stored as float32, as bf16 (two units per int: unit {@code i} of each vector pair in the low
 * half, unit {@code i + LANES} in the high half) or as int8 with one float32 scale per row in
 * {@link #scales}, at float index {@code (b * slots + p) * units + u}. The values are exactly those of
 * {@link WeightQuantizer}. This class holds no vector types: only the vector kernels create panels.
 */
final class Panel {

  /** Maps a panel position to a row of the source matrix, or -1 for a padding row. */
  interface RowMap {
    int row(int block, int slot, int unit);
  }

  final MemorySegment data;
  /** int8 only: per-row scales in panel order; otherwise null. */
  final MemorySegment scales;
  final WeightPrecision precision;
  final int columns;
  final int slots;
  final int units;
  final long slotBytes;
  final long columnStride;
  final long blockStride;

  private Panel(MemorySegment data, MemorySegment scales, WeightPrecision precision, int columns, int slots,
      int units, long slotBytes) {
    this.data = data;
    this.scales = scales;
    this.precision = precision;
    this.columns = columns;
    this.slots = slots;
    this.units = units;
    this.slotBytes = slotBytes;
    this.columnStride = slots * slotBytes;
    this.blockStride = columns * columnStride;
  }

  /** The byte offset of column 0 of a slot of a block. */
  long offset(int block, int slot) {
    return block * blockStride + slot * slotBytes;
  }

  /** The byte offset of the scales of a slot of a block (int8). */
  long scaleOffset(int block, int slot) {
    return ((long) block * slots + slot) * units * Float.BYTES;
  }

  /**
   * {@code sum over c of W[row] * src[c]} for the row at (block, slot, unit), one element at a time: for
   * the few rows of a partial last block of a dense layer or a projection, which have no scratch to stage a
   * whole vector in. Reads the same rounded values as the vector loops (int8: the integer sum, then the row
   * scale).
   */
  float rowDot(int block, int slot, int unit, MemorySegment src, long srcOffset) {
    long at = offset(block, slot);
    float sum = 0f;
    switch (precision) {
      case FP32 -> {
        for (int c = 0; c < columns; c++, at += columnStride) {
          sum += data.get(JAVA_FLOAT, at + unit * 4L) * src.get(JAVA_FLOAT, srcOffset + c * 4L);
        }
      }
      case BF16 -> {
        int half = units / 2;
        for (int c = 0; c < columns; c++, at += columnStride) {
          int pair = data.get(JAVA_INT, at + (long) (unit % half) * 4L);
          float w = Float.intBitsToFloat(unit < half ? pair << 16 : pair & 0xFFFF0000);
          sum += w * src.get(JAVA_FLOAT, srcOffset + c * 4L);
        }
      }
      case INT8 -> {
        for (int c = 0; c < columns; c++, at += columnStride) {
          sum += data.get(JAVA_BYTE, at + unit) * src.get(JAVA_FLOAT, srcOffset + c * 4L);
        }
        sum *= scales.get(JAVA_FLOAT, scaleOffset(block, slot) + unit * 4L);
      }
    }
    return sum;
  }

  /**
   * Packs {@code matrix} ([rows, columns], row-major) into {@code blocks} blocks. {@code units} must be
   * twice the float vector length: a slot is one pair of vectors.
   */
  static Panel pack(float[] matrix, int rows, int columns, int blocks, int slots, int units, RowMap map,
      WeightPrecision precision, Arena arena) {
    // Validates (int8 rejects non-finite weights) and gives the exact values of the format's rounding.
    float[] rounded = WeightQuantizer.roundTrip(matrix, rows, columns, precision);
    int elementBytes = switch (precision) {
      case FP32 -> 4;
      case BF16 -> 2;
      case INT8 -> 1;
    };
    long slotBytes = (long) units * elementBytes;
    long total = (long) blocks * columns * slots * slotBytes;
    // 64 spare bytes: an int8 load may read a whole 8-byte vector when fewer lanes are used.
    MemorySegment data = arena.allocate(total + 64, OffHeap.ALIGNMENT);
    MemorySegment scales = null;
    float[] rowScales = null;
    if (precision == WeightPrecision.INT8) {
      rowScales = new float[rows];
      for (int row = 0; row < rows; row++) {
        rowScales[row] = WeightQuantizer.int8Scale(matrix, row * columns, columns);
      }
      scales = OffHeap.floats(arena, (long) blocks * slots * units + 16);
    }
    int half = units / 2;
    for (int b = 0; b < blocks; b++) {
      for (int p = 0; p < slots; p++) {
        for (int u = 0; u < units; u++) {
          int row = map.row(b, p, u);
          if (row < 0) {
            continue;
          }
          if (scales != null) {
            scales.setAtIndex(JAVA_FLOAT, ((long) b * slots + p) * units + u, rowScales[row]);
          }
          for (int c = 0; c < columns; c++) {
            long slotAt = (((long) b * columns + c) * slots + p) * slotBytes;
            switch (precision) {
              case FP32 -> data.set(JAVA_FLOAT, slotAt + u * 4L, rounded[row * columns + c]);
              case BF16 -> {
                // A slot is one pair of float vectors: int lane i holds unit i (low half) and unit
                // i + half (high half), so a shift and a mask widen the pair.
                long intAt = slotAt + (long) (u % half) * 4L;
                int bits = WeightQuantizer.floatToBf16(rounded[row * columns + c]) & 0xFFFF;
                int old = data.get(JAVA_INT, intAt);
                int merged = u < half ? (old & 0xFFFF0000) | bits : (old & 0xFFFF) | (bits << 16);
                data.set(JAVA_INT, intAt, merged);
              }
              case INT8 -> data.set(JAVA_BYTE, slotAt + u,
                  WeightQuantizer.int8(matrix[row * columns + c], rowScales[row]));
            }
          }
        }
      }
    }
    return new Panel(data, scales, precision, columns, slots, units, slotBytes);
  }
}
