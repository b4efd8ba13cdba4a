package dev.rill.runtime.internal.kernel;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * The dense layer of the vector kernels: W in a {@link Panel} of blocks of up to four slots of
 * {@link VectorShapes#BLOCK} output rows. One input row runs one pass per block over all its slots; four
 * or more rows (a sequence) run four rows at a time per slot, a register-tiled matrix-matrix product. The
 * rows of a partial last slot (fewer than {@link VectorShapes#BLOCK}) are computed one at a time.
 */
final class VectorDenseKernel implements DenseKernel {

  private static final long F = Float.BYTES;
  private static final int B = VectorShapes.BLOCK;

  private final int inputSize;
  private final int outputSize;
  private final int slots;
  private final int blocks;
  private final Panel weight;
  /** Per block, {@code slots * B} floats in panel order (zero past the last row). */
  private final MemorySegment bias;

  VectorDenseKernel(float[] weight, float[] bias, int outputSize, int inputSize, WeightPrecision precision,
      Arena arena) {
    if (weight.length != outputSize * inputSize || bias.length != outputSize) {
      throw new IllegalArgumentException("dense kernel: weight must be [" + outputSize + ", " + inputSize
          + "] and bias [" + outputSize + "]");
    }
    this.inputSize = inputSize;
    this.outputSize = outputSize;
    this.slots = Math.max(1, Math.min(4, (outputSize + B - 1) / B));
    int blockRows = slots * B;
    this.blocks = (outputSize + blockRows - 1) / blockRows;
    this.weight = Panel.pack(weight, outputSize, inputSize, blocks, slots, B, (block, slot, unit) -> {
      int row = block * blockRows + slot * B + unit;
      return row < outputSize ? row : -1;
    }, precision, arena);
    this.bias = OffHeap.floats(arena, (long) blocks * blockRows);
    MemorySegment.copy(bias, 0, this.bias, JAVA_FLOAT, 0, outputSize);
  }

  @Override
  public int inputSize() {
    return inputSize;
  }

  @Override
  public int outputSize() {
    return outputSize;
  }

  /**
   * The {@code valid} rows of a partial slot, one at a time: the output has no room for a whole vector and
   * {@code apply} has no scratch to stage one in.
   */
  private void tail(MemorySegment x, long xRow, int block, int slot, int valid, MemorySegment y, long at) {
    long biasAt = ((long) block * slots + slot) * B * F;
    for (int u = 0; u < valid; u++) {
      y.set(JAVA_FLOAT, at + u * F, bias.get(JAVA_FLOAT, biasAt + u * F) + weight.rowDot(block, slot, u, x, xRow));
    }
  }

  @Override
  public void apply(MemorySegment x, long xOffset, MemorySegment y, long yOffset, int rows) {
    long xRowBytes = (long) inputSize * F;
    long yRowBytes = (long) outputSize * F;
    int row = 0;
    for (; row + 4 <= rows; row += 4) {
      for (int b = 0; b < blocks; b++) {
        for (int p = 0; p < slots; p++) {
          int first = (b * slots + p) * B;
          long at = yOffset + row * yRowBytes + first * F;
          if (first + B <= outputSize) {
            PanelGemv.tile4(weight, b, p, x, xOffset + row * xRowBytes, xRowBytes, bias, first * F, 0, y, at,
                yRowBytes);
          } else if (first < outputSize) {
            for (int k = 0; k < 4; k++) {
              tail(x, xOffset + (row + k) * xRowBytes, b, p, outputSize - first, y, at + k * yRowBytes);
            }
          }
        }
      }
    }
    for (; row < rows; row++) {
      long xRow = xOffset + row * xRowBytes;
      long yRow = yOffset + row * yRowBytes;
      for (int b = 0; b < blocks; b++) {
        int first = b * slots * B;
        if (first + slots * B <= outputSize) {
          PanelGemv.run(weight, 2 * slots, b, 0, x, xRow, bias, first * F, y, yRow + first * F);
        } else {
          for (int p = 0; p < slots && first + p * B < outputSize; p++) {
            int slotFirst = first + p * B;
            if (slotFirst + B <= outputSize) {
              PanelGemv.run(weight, 2, b, p, x, xRow, bias, slotFirst * F, y, yRow + slotFirst * F);
            } else {
              tail(x, xRow, b, p, outputSize - slotFirst, y, yRow + slotFirst * F);
            }
          }
        }
      }
    }
  }
}
