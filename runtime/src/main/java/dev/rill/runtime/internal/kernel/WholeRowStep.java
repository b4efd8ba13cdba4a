package dev.rill.runtime.internal.kernel;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The step of {@link VectorCellKernel}, whole or over a range of units (a thread's share), for any number of
 * streams of the cells most models have, in two passes over a chunk of up to {@link #CHUNK} streams: first
 * every gate pre-activation of the chunk into a [streams, 4, H] gate buffer, then each stream's
 * nonlinearities and state update over whole rows of the units. The rows are long runs of independent
 * vectors, so the update's chains of dependent arithmetic overlap in the out-of-order window (updating block
 * by block cost about sixty small calls per step), and the products start straight from the projections of a
 * sequence. Since every block's products of a chunk finish before its updates, a whole step writes the new
 * state in place.
 *
 * <p>The products: one or two streams go stream by stream, all gates of a block in one pass (six or eight
 * accumulator chains); three or more go slot by slot in register tiles of six streams ({@link PanelGemm#rows}),
 * so a batch reads each weight once per six streams.
 *
 * <p>Used for the LSTM without peepholes or input_forget and the linear_before_reset GRU, with sigmoid and tanh
 * activations and H a multiple of {@link VectorShapes#BLOCK}; other cells keep the block-by-block path. Each
 * stream's sums and updates are the same operations in the same order as on that path ({@link PanelGemm}'s
 * tiles sum a row like {@link PanelGemv}), so a stream's result depends neither on its batch nor on the thread
 * count.
 *
 * <p>Gate buffer slots: LSTM i, o, f, c; GRU z, r, then {@code R_h h + Rb_h} and {@code W_h x + Wb_h}.
 */
final class WholeRowStep {

  /** Streams per chunk: eight six-stream tiles reuse each block's weights while they are in L1. */
  static final int CHUNK = 8 * PanelGemm.ROWS;

  private static final long F = Float.BYTES;
  private static final ByteOrder ORDER = ByteOrder.nativeOrder();
  private static final VectorSpecies<Float> FLOATS = VectorShapes.FLOATS;
  private static final int B = VectorShapes.BLOCK;
  private static final int L = VectorShapes.LANES;
  private static final long VB = VectorShapes.VECTOR_BYTES;
  private static final int SLOTS = 4;
  /** Bytes of one gate slot of a block in the bias. */
  private static final long BLOCK_SLOT = (long) B * F;
  /** Streams from which the products go slot by slot in tiles of streams rather than stream by stream. */
  private static final int MIN_TILE = 3;

  private final boolean lstm;
  private final int inputSize;
  private final int hidden;
  private final int blocks;
  private final Panel w;
  private final Panel r;
  private final MemorySegment bias;
  private final int biasSlots;
  /** GRU: Rb_h as one row of H floats; otherwise null. */
  private final MemorySegment recurrentBias;
  private final boolean hasClip;
  private final float clip;
  private final float[] scaleIn;
  private final float[] scaleOut;
  private final float[] offset;

  /**
   * @param bias per block, {@code biasSlots} slots of B floats in the panel order (Wb + Rb), then Rb_h (GRU)
   * @param scaleIn, scaleOut, offset the vector forms of activations f, g and h (see {@link VectorMath})
   */
  WholeRowStep(CellKind kind, int inputSize, int hidden, Panel w, Panel r, MemorySegment bias, int biasSlots,
      boolean hasClip, float clip, float[] scaleIn, float[] scaleOut, float[] offset, Arena arena) {
    this.lstm = kind == CellKind.LSTM;
    this.inputSize = inputSize;
    this.hidden = hidden;
    this.blocks = hidden / B;
    this.w = w;
    this.r = r;
    this.bias = bias;
    this.biasSlots = biasSlots;
    this.hasClip = hasClip;
    this.clip = clip;
    this.scaleIn = scaleIn.clone();
    this.scaleOut = scaleOut.clone();
    this.offset = offset.clone();
    if (lstm) {
      this.recurrentBias = null;
    } else {
      this.recurrentBias = OffHeap.floats(arena, hidden);
      for (int b = 0; b < blocks; b++) {
        MemorySegment.copy(bias, biasOffset(b, 3), recurrentBias, b * BLOCK_SLOT, BLOCK_SLOT);
      }
    }
  }

  /** Whether this step serves a cell (see the class comment). */
  static boolean serves(CellSpec spec, boolean vectorActivations) {
    boolean cell = spec.kind() == CellKind.LSTM ? spec.peepholes() == null && !spec.inputForget()
        : spec.kind() == CellKind.GRU && spec.linearBeforeReset();
    return cell && vectorActivations && spec.hiddenSize() % B == 0;
  }

  /**
   * Bytes of scratch for {@code n} streams and a range of {@code units} units: one chunk's gate buffer, then
   * room for {@link PanelGemm#rows} to widen a slot of reduced-precision weights.
   */
  long scratchBytes(int n, int units) {
    return gateBytes(n, units) + Math.max(PanelGemm.scratchBytes(w), PanelGemm.scratchBytes(r));
  }

  private static long gateBytes(int n, int units) {
    return (long) Math.min(n, CHUNK) * SLOTS * units * F;
  }

  /**
   * Advances {@code n} streams over the units [{@code from}, {@code to}) (block boundaries; [0, H) for a
   * whole step): {@code in} is x [n, X], or with {@code projected} the projections [n, G*H] of
   * {@link CellKernel#projectInputs}; reads h [n, H], writes the new h of the range into {@code hOut} [n, H]
   * (which may be h itself for a whole step, since every product of a chunk precedes its updates) and
   * updates (LSTM) c [n, H] in place.
   */
  void step(boolean projected, MemorySegment in, long inOffset, MemorySegment h, long hOffset,
      MemorySegment hOut, long hOutOffset, MemorySegment c, long cOffset, int n, int from, int to,
      MemorySegment scratch) {
    int units = to - from;
    long inRowBytes = (projected ? (long) (lstm ? 4 : 3) * hidden : inputSize) * F;
    long stateRowBytes = hidden * F;
    long rowBytes = SLOTS * units * F;
    long range = from * F;
    long wideAt = gateBytes(n, units);
    for (int s0 = 0; s0 < n; s0 += CHUNK) {
      int count = Math.min(CHUNK, n - s0);
      long inRows = inOffset + s0 * inRowBytes;
      long hRows = hOffset + s0 * stateRowBytes;
      long outRows = hOutOffset + s0 * stateRowBytes + range;
      if (lstm) {
        lstmGates(projected, in, inRows, inRowBytes, h, hRows, count, from, units, scratch, wideAt);
        long cRows = cOffset + s0 * stateRowBytes + range;
        for (int k = 0; k < count; k++) {
          long state = k * stateRowBytes;
          lstmRow(scratch, k * rowBytes, units, c, cRows + state, hOut, outRows + state);
        }
      } else {
        gruGates(projected, in, inRows, inRowBytes, h, hRows, count, from, units, scratch, wideAt);
        for (int k = 0; k < count; k++) {
          long state = k * stateRowBytes;
          gruRow(scratch, k * rowBytes, units, h, hRows + range + state, hOut, outRows + state);
        }
      }
    }
  }

  /**
   * The LSTM pre-activations of {@code count} streams for the units [from, from + units), into gate rows of
   * 4 * units floats: x's part first unless projected, then R h.
   */
  private void lstmGates(boolean projected, MemorySegment in, long inRows, long inRowBytes, MemorySegment h,
      long hRows, int count, int from, int units, MemorySegment g, long wideAt) {
    long stateRowBytes = hidden * F;
    long slotBytes = units * F;
    long rowBytes = SLOTS * slotBytes;
    int first = from / B;
    int end = first + units / B;
    if (count < MIN_TILE) {
      // One stream at a time, all four gates of a block in one pass: eight accumulator chains.
      for (int b = first; b < end; b++) {
        long unitAt = (long) b * B * F;
        long gUnit = (long) (b - first) * B * F;
        for (int k = 0; k < count; k++) {
          long gAt = k * rowBytes + gUnit;
          long hRow = hRows + k * stateRowBytes;
          if (projected) {
            PanelGemv.run(r, 8, b, 0, h, hRow, in, inRows + k * inRowBytes + unitAt, stateRowBytes, g, gAt,
                slotBytes);
          } else {
            PanelGemv.run(w, 8, b, 0, in, inRows + k * inRowBytes, bias, biasOffset(b, 0), BLOCK_SLOT, g, gAt,
                slotBytes);
            PanelGemv.run(r, 8, b, 0, h, hRow, g, gAt, slotBytes, g, gAt, slotBytes);
          }
        }
      }
      return;
    }
    for (int b = first; b < end; b++) {
      long gUnit = (long) (b - first) * B * F;
      for (int p = 0; p < SLOTS; p++) {
        slotRows(projected, in, inRows, inRowBytes, h, hRows, count, b, p, g, p * slotBytes + gUnit, rowBytes,
            wideAt);
      }
    }
  }

  /**
   * The linear_before_reset GRU pre-activations of {@code count} streams for the units [from, from + units):
   * z and r from [x, h]; slot 2 gets {@code Rb_h + R_h h} and slot 3 {@code Wb_h + W_h x} (from the
   * projection when projected).
   */
  private void gruGates(boolean projected, MemorySegment in, long inRows, long inRowBytes, MemorySegment h,
      long hRows, int count, int from, int units, MemorySegment g, long wideAt) {
    long stateRowBytes = hidden * F;
    long slotBytes = units * F;
    long rowBytes = SLOTS * slotBytes;
    long range = from * F;
    long recurrentSlot = 2 * slotBytes;
    long inputSlot = 3 * slotBytes;
    int first = from / B;
    int end = first + units / B;
    if (projected) {
      for (int k = 0; k < count; k++) {
        MemorySegment.copy(in, inRows + k * inRowBytes + 2 * stateRowBytes + range, g, k * rowBytes + inputSlot,
            slotBytes);
      }
    }
    if (count < MIN_TILE) {
      // One stream at a time, z, r and R_h in one pass over R (six accumulator chains), starting from
      // z and r's input parts and Rb_h staged in slots 0 to 2.
      if (projected) {
        for (int k = 0; k < count; k++) {
          long inRow = inRows + k * inRowBytes + range;
          MemorySegment.copy(in, inRow, g, k * rowBytes, slotBytes);
          MemorySegment.copy(in, inRow + stateRowBytes, g, k * rowBytes + slotBytes, slotBytes);
          MemorySegment.copy(recurrentBias, range, g, k * rowBytes + recurrentSlot, slotBytes);
        }
      }
      for (int b = first; b < end; b++) {
        long gUnit = (long) (b - first) * B * F;
        for (int k = 0; k < count; k++) {
          long gAt = k * rowBytes + gUnit;
          if (!projected) {
            PanelGemv.run(w, 6, b, 0, in, inRows + k * inRowBytes, bias, biasOffset(b, 0), BLOCK_SLOT, g, gAt,
                slotBytes);
            // The h gate's input part moves to slot 3, Rb_h takes its place.
            MemorySegment.copy(g, gAt + recurrentSlot, g, gAt + inputSlot, BLOCK_SLOT);
            MemorySegment.copy(bias, biasOffset(b, 3), g, gAt + recurrentSlot, BLOCK_SLOT);
          }
          PanelGemv.run(r, 6, b, 0, h, hRows + k * stateRowBytes, g, gAt, slotBytes, g, gAt, slotBytes);
        }
      }
      return;
    }
    for (int b = first; b < end; b++) {
      long gUnit = (long) (b - first) * B * F;
      for (int p = 0; p < 2; p++) {
        slotRows(projected, in, inRows, inRowBytes, h, hRows, count, b, p, g, p * slotBytes + gUnit, rowBytes,
            wideAt);
      }
      if (!projected) {
        PanelGemm.rows(w, b, 2, in, inRows, inRowBytes, bias, biasOffset(b, 2), 0, g, inputSlot + gUnit, rowBytes,
            count, g, wideAt);
      }
      PanelGemm.rows(r, b, 2, h, hRows, stateRowBytes, bias, biasOffset(b, 3), 0, g, recurrentSlot + gUnit,
          rowBytes, count, g, wideAt);
    }
  }

  /**
   * Slot {@code p} of block {@code b} for {@code count} streams in register tiles, into the gate rows at
   * {@code gAt} ({@code rowBytes} apart): {@code R h} onto the projection when projected, else
   * {@code bias + W x} and then {@code R h} onto it. The projection of gate {@code p} of a stream starts
   * {@code p * H} floats into its row (panel slots are in gate order for the cells served here).
   */
  private void slotRows(boolean projected, MemorySegment in, long inRows, long inRowBytes, MemorySegment h,
      long hRows, int count, int b, int p, MemorySegment g, long gAt, long rowBytes, long wideAt) {
    long stateRowBytes = hidden * F;
    if (projected) {
      long projAt = inRows + ((long) p * hidden + (long) b * B) * F;
      PanelGemm.rows(r, b, p, h, hRows, stateRowBytes, in, projAt, inRowBytes, g, gAt, rowBytes, count, g, wideAt);
    } else {
      PanelGemm.rows(w, b, p, in, inRows, inRowBytes, bias, biasOffset(b, p), 0, g, gAt, rowBytes, count, g,
          wideAt);
      PanelGemm.rows(r, b, p, h, hRows, stateRowBytes, g, gAt, rowBytes, g, gAt, rowBytes, count, g, wideAt);
    }
  }

  private long biasOffset(int block, int slot) {
    return ((long) block * biasSlots + slot) * B * F;
  }

  // The updates of one stream: the stages of VectorCellKernel's LSTM and GRU updates, each over a whole row.

  /** One stream's LSTM update from its gate row at {@code at} ({@code units} per slot): c in place, h to hOut. */
  private void lstmRow(MemorySegment g, long at, int units, MemorySegment c, long cAt, MemorySegment hOut,
      long outAt) {
    long slot = units * F;
    int vectors = units / L;
    VectorMath.activate(g, at, 3 * vectors, hasClip, clip, scaleIn[0], scaleOut[0], offset[0]);
    VectorMath.activate(g, at + 3 * slot, vectors, hasClip, clip, scaleIn[1], scaleOut[1], offset[1]);
    for (int v = 0; v < vectors; v++) {
      long vAt = v * VB;
      FloatVector i = FloatVector.fromMemorySegment(FLOATS, g, at + vAt, ORDER);
      FloatVector f = FloatVector.fromMemorySegment(FLOATS, g, at + 2 * slot + vAt, ORDER);
      FloatVector candidate = FloatVector.fromMemorySegment(FLOATS, g, at + 3 * slot + vAt, ORDER);
      FloatVector cPrev = FloatVector.fromMemorySegment(FLOATS, c, cAt + vAt, ORDER);
      FloatVector cNew = f.mul(cPrev).add(i.mul(candidate));
      cNew.intoMemorySegment(c, cAt + vAt, ORDER);
      cNew.intoMemorySegment(g, at + 3 * slot + vAt, ORDER);
    }
    VectorMath.activate(g, at + 3 * slot, vectors, false, Float.NaN, scaleIn[2], scaleOut[2], offset[2]);
    for (int v = 0; v < vectors; v++) {
      long vAt = v * VB;
      FloatVector.fromMemorySegment(FLOATS, g, at + slot + vAt, ORDER)
          .mul(FloatVector.fromMemorySegment(FLOATS, g, at + 3 * slot + vAt, ORDER))
          .intoMemorySegment(hOut, outAt + vAt, ORDER);
    }
  }

  /**
   * One stream's linear_before_reset GRU update from its gate row at {@code at} ({@code units} per slot):
   * reads h at {@code hAt}, writes the new h to hOut.
   */
  private void gruRow(MemorySegment g, long at, int units, MemorySegment h, long hAt, MemorySegment hOut,
      long outAt) {
    long slot = units * F;
    int vectors = units / L;
    VectorMath.activate(g, at, 2 * vectors, hasClip, clip, scaleIn[0], scaleOut[0], offset[0]);
    for (int v = 0; v < vectors; v++) {
      long vAt = v * VB;
      long candidateAt = at + 3 * slot + vAt;
      FloatVector.fromMemorySegment(FLOATS, g, at + slot + vAt, ORDER)
          .fma(FloatVector.fromMemorySegment(FLOATS, g, at + 2 * slot + vAt, ORDER),
              FloatVector.fromMemorySegment(FLOATS, g, candidateAt, ORDER))
          .intoMemorySegment(g, candidateAt, ORDER);
    }
    VectorMath.activate(g, at + 3 * slot, vectors, hasClip, clip, scaleIn[1], scaleOut[1], offset[1]);
    for (int v = 0; v < vectors; v++) {
      long vAt = v * VB;
      FloatVector z = FloatVector.fromMemorySegment(FLOATS, g, at + vAt, ORDER);
      FloatVector candidate = FloatVector.fromMemorySegment(FLOATS, g, at + 3 * slot + vAt, ORDER);
      FloatVector hPrev = FloatVector.fromMemorySegment(FLOATS, h, hAt + vAt, ORDER);
      z.neg().add(1f).mul(candidate).add(z.mul(hPrev)).intoMemorySegment(hOut, outAt + vAt, ORDER);
    }
  }
}
