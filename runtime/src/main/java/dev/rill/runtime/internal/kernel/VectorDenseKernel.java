package dev.rill.runtime.internal.kernel;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * The dense layer of the vector kernels: W in a {@link Panel} of blocks of up to four slots of
 * {@link VectorShapes#BLOCK} output rows. One input row runs one pass per block over all its slots; four
 * or more rows (a sequence) run four rows at a time per slot, a register-tiled matrix-matrix product.
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

  @Override
  public void apply(MemorySegment x, long xOffset, MemorySegment y, long yOffset, int rows) {
    long xRowBytes = (long) inputSize * F;
    long yRowBytes = (long) outputSize * F;
    int row = 0;
    for (; row + 4 <= rows; row += 4) {
      for (int b = 0; b < blocks; b++) {
        for (int p = 0; p < slots; p++) {
          int first = (b * slots + p) * B;
          if (first < outputSize) {
            PanelGemv.tile4(weight, b, p, x, xOffset + row * xRowBytes, xRowBytes, bias, first * F, y,
                yOffset + row * yRowBytes + first * F, yRowBytes, outputSize - first);
          }
        }
      }
    }
    for (; row < rows; row++) {
      for (int b = 0; b < blocks; b++) {
        int first = b * slots * B;
        PanelGemv.run(weight, 2 * slots, b, 0, x, xOffset + row * xRowBytes, bias, first * F, y,
            yOffset + row * yRowBytes + first * F, outputSize - first);
      }
    }
  }
}
