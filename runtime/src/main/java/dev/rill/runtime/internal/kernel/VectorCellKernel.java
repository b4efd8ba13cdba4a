package dev.rill.runtime.internal.kernel;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;

/**
 * The fused cell of the vector kernels. The hidden units are split into blocks of {@link VectorShapes#BLOCK}
 * (two float vectors); for one block, one pass over the {@link Panel}s of W and R computes the
 * pre-activations of all its gates from [x, h] into a few vectors of L1-resident scratch, starting from the
 * pre-summed biases. A batch of at most six streams (one group; streaming, batch 1) computes the pre-activations of
 * every block of its range first and then runs the nonlinearities and state updates of all of them, the
 * LSTM's stage by stage over all vectors, so that they overlap instead of waiting on one vector's chain of
 * dependent arithmetic; a larger batch runs the updates of each block before the next block, so that each
 * block's weights are read once for all its groups of streams.
 *
 * <p>The slots of the panels are the gates in an order chosen per cell so that each pass covers contiguous
 * slots:
 * <ul>
 *   <li>LSTM i, o, f, c; minimal GRU u, c; RNN the single gate: one pass over x, one over h.
 *   <li>GRU with linear_before_reset z, r, h: one pass over x, then the h gate's input part moves to a
 *       fourth scratch slot and one pass over h adds onto z, r and {@code Rb_h}, so that the candidate is
 *       {@code g(Wx + Wb + r * (R h + Rb))}.
 *   <li>Textbook GRU z, h, r, in two phases: phase 0 computes r and writes {@code r * h} of its units into
 *       a shared [n, H] buffer; phase 1 computes z from [x, h] and the candidate from [x, r * h].
 * </ul>
 * The new h is written to a separate buffer (other blocks still read the old one) and copied back at the
 * end of the step; c is updated in place. {@link #step} runs exactly the code of {@link #stepRange} over the
 * unit range [0, H), so any split across threads gives bitwise the same result. The LSTM without peepholes
 * and the linear_before_reset GRU with sigmoid and tanh and H a multiple of the block take
 * {@link WholeRowStep} instead, for whole steps and unit ranges alike, which computes the same sums and
 * updates in the same order over whole rows (bitwise the same again).
 *
 * <p>A batch of n streams goes six streams at a time through each block: one register-tiled pass over the
 * block's panel serves six streams ({@link PanelGemm#fp32Tile6}; four with {@link PanelGemv#tile4} for
 * bf16 and int8), summing each stream in the same order as a single stream, so a stream's result does not
 * depend on its batch. {@link #projectInputs} is a register-tiled matrix-matrix product ({@link PanelGemm#rows}), and {@link #stepProjected} runs the
 * same blocks with the gate slots filled from the projections instead of W x. When H is not a multiple of
 * the block, the last block computes whole vectors on copies of its slices of h, c and the output in the
 * scratch (no masks, nothing outside [0, H) touched); only {@code projectInputs} writes its last partial
 * block row by row, having no scratch. Weights are fp32, bf16 or int8 ({@link Panel}).
 *
 * <p>Sigmoid and tanh are vectorised ({@link VectorMath}); a cell with any other activation, such as Relu or
 * HardSigmoid, computes its pre-activations the same way and applies the scalar definitions per unit.
 */
final class VectorCellKernel implements CellKernel {

  private static final long F = Float.BYTES;
  private static final ByteOrder ORDER = ByteOrder.nativeOrder();
  private static final int B = VectorShapes.BLOCK;
  private static final int L = VectorShapes.LANES;
  private static final long VB = VectorShapes.VECTOR_BYTES;
  private static final long SLOT = (long) B * F;
  /** Scratch slots of a partial block's old h, c and output. */
  private static final long H_STAGE = 4 * SLOT;
  private static final long C_STAGE = 5 * SLOT;
  private static final long OUT_STAGE = 6 * SLOT;
  /** Scratch of one block of one stream: at most four gate slots, then the three staging slots. */
  private static final long GATE_SCRATCH = 7 * SLOT;
  /**
   * Streams whose products share one pass over the weights: six, the rows of {@link PanelGemm#fp32Tile6}
   * (bf16 and int8 run a tile of four and two single streams).
   */
  private static final int STREAM_GROUP = PanelGemm.ROWS;
  /** Input rows per chunk of {@link #projectInputs}: eight six-row tiles. */
  private static final int PROJECT_CHUNK = 8 * PanelGemm.ROWS;
  /** Block scratch of a group of streams. */
  private static final long GROUP_SCRATCH = STREAM_GROUP * GATE_SCRATCH;

  private final CellSpec spec;
  private final CellKind kind;
  private final int inputSize;
  private final int hidden;
  private final int gates;
  private final int blocks;
  private final boolean lbr;
  /** The canonical gate of each panel slot. */
  private final int[] order;
  private final Panel w;
  private final Panel r;
  /** Per block, {@code biasSlots} slots of B floats: the panel order, then Rb_h for the lbr GRU. */
  private final MemorySegment bias;
  private final int biasSlots;
  /** Per block, three slots (i, o, f) of B floats, or null. */
  private final MemorySegment peepholes;
  private final ActivationFunction functionF;
  private final ActivationFunction functionG;
  private final ActivationFunction functionH;
  /** Sigmoid and tanh as {@code offset + scaleOut * tanh(scaleIn * x)} per activation f, g, h. */
  private final float scaleInF;
  private final float scaleOutF;
  private final float offsetF;
  private final float scaleInG;
  private final float scaleOutG;
  private final float offsetG;
  private final float scaleInH;
  private final float scaleOutH;
  private final float offsetH;
  private final boolean vectorActivations;
  private final boolean inputForget;
  private final boolean hasClip;
  private final float clip;
  /** The whole-row step for the cells it serves, or null. */
  private final WholeRowStep wholeRows;

  VectorCellKernel(CellSpec spec, WeightPrecision precision, Arena arena) {
    // Only the shape and options are kept: the matrices live packed in the arena from here on.
    this.spec = spec.withoutMatrices();
    this.kind = spec.kind();
    this.inputSize = spec.inputSize();
    this.hidden = spec.hiddenSize();
    this.gates = kind.gates();
    this.blocks = (hidden + B - 1) / B;
    this.lbr = kind == CellKind.GRU && spec.linearBeforeReset();
    this.order = switch (kind) {
      case LSTM -> new int[] {0, 1, 2, 3};
      case GRU -> lbr ? new int[] {0, 1, 2} : new int[] {0, 2, 1};
      case MINIMAL_GRU -> new int[] {0, 1};
      case RNN -> new int[] {0};
    };
    int gateRows = gates * hidden;
    Panel.RowMap map = (block, slot, unit) -> {
      int j = block * B + unit;
      return j < hidden ? order[slot] * hidden + j : -1;
    };
    this.w = Panel.pack(spec.w(), gateRows, inputSize, blocks, gates, B, map, precision, arena);
    this.r = Panel.pack(spec.r(), gateRows, hidden, blocks, gates, B, map, precision, arena);
    this.biasSlots = lbr ? gates + 1 : gates;
    this.bias = OffHeap.floats(arena, (long) blocks * biasSlots * B);
    for (int b = 0; b < blocks; b++) {
      for (int p = 0; p < biasSlots; p++) {
        for (int u = 0; u < B; u++) {
          int j = b * B + u;
          if (j >= hidden) {
            continue;
          }
          float value;
          if (lbr && p == 3) {
            value = spec.rb()[2 * hidden + j];
          } else if (lbr && order[p] == 2) {
            value = spec.wb()[2 * hidden + j];
          } else {
            int row = order[p] * hidden + j;
            value = spec.wb()[row] + spec.rb()[row];
          }
          bias.setAtIndex(JAVA_FLOAT, ((long) b * biasSlots + p) * B + u, value);
        }
      }
    }
    if (spec.peepholes() != null) {
      this.peepholes = OffHeap.floats(arena, (long) blocks * 3 * B);
      for (int b = 0; b < blocks; b++) {
        for (int p = 0; p < 3; p++) {
          for (int u = 0; u < B && b * B + u < hidden; u++) {
            peepholes.setAtIndex(JAVA_FLOAT, ((long) b * 3 + p) * B + u, spec.peepholes()[p * hidden + b * B + u]);
          }
        }
      }
    } else {
      this.peepholes = null;
    }
    this.functionF = spec.activations().get(0);
    this.functionG = spec.activations().size() > 1 ? spec.activations().get(1) : null;
    this.functionH = spec.activations().size() > 2 ? spec.activations().get(2) : null;
    int codeF = VectorMath.code(functionF);
    int codeG = VectorMath.code(functionG);
    int codeH = VectorMath.code(functionH);
    this.vectorActivations = codeF >= 0 && codeG >= 0 && codeH >= 0;
    this.scaleInF = VectorMath.scaleIn(codeF);
    this.scaleOutF = VectorMath.scaleOut(codeF);
    this.offsetF = VectorMath.offset(codeF);
    this.scaleInG = VectorMath.scaleIn(codeG);
    this.scaleOutG = VectorMath.scaleOut(codeG);
    this.offsetG = VectorMath.offset(codeG);
    this.scaleInH = VectorMath.scaleIn(codeH);
    this.scaleOutH = VectorMath.scaleOut(codeH);
    this.offsetH = VectorMath.offset(codeH);
    this.inputForget = spec.inputForget();
    this.hasClip = spec.hasClip();
    this.clip = spec.clip();
    this.wholeRows = WholeRowStep.serves(spec, vectorActivations)
        ? new WholeRowStep(kind, inputSize, hidden, w, r, bias, biasSlots, hasClip, clip,
            new float[] {scaleInF, scaleInG, scaleInH}, new float[] {scaleOutF, scaleOutG, scaleOutH},
            new float[] {offsetF, offsetG, offsetH}, arena)
        : null;
  }

  @Override
  public CellSpec spec() {
    return spec;
  }

  // ---------------------------------------------------------------------------------------------- sizes

  @Override
  public long scratchBytes(int n) {
    // Block scratches, then the new h [n, H] and the shared r * h [n, H]; or the whole-row step's; and at
    // least what projectInputs needs.
    long blockwise = blockScratchBytes(n, blocks) + 2L * n * hidden * F;
    long steps = wholeRows == null ? blockwise : Math.max(blockwise, wholeRows.scratchBytes(n, hidden));
    return Math.max(steps, PanelGemm.scratchBytes(w));
  }

  @Override
  public boolean supportsRanges() {
    return true;
  }

  @Override
  public int unitBlock() {
    return B;
  }

  @Override
  public long rangeScratchBytes(int n, int units) {
    long blockwise = blockScratchBytes(n, (units + B - 1) / B);
    return wholeRows == null ? blockwise : Math.max(blockwise, wholeRows.scratchBytes(n, units));
  }

  /**
   * The block scratches of a range of {@code blockCount} blocks: one group's while a batch of more than
   * {@link #STREAM_GROUP} streams goes block by block, and one per block and stream for a single group, whose
   * updates wait for all its pre-activations (see {@link #range}). At most six streams' worth whatever
   * {@code n}, and never less for a larger {@code n}, since a step may run fewer streams than it was sized for.
   */
  private static long blockScratchBytes(int n, int blockCount) {
    return Math.max(GROUP_SCRATCH, (long) blockCount * Math.min(n, STREAM_GROUP) * GATE_SCRATCH);
  }

  // ---------------------------------------------------------------------------------------------- steps

  @Override
  public void step(MemorySegment x, long xOffset, MemorySegment h, long hOffset, MemorySegment c, long cOffset,
      int n, MemorySegment scratch) {
    wholeStep(false, x, xOffset, h, hOffset, c, cOffset, n, scratch);
  }

  @Override
  public void stepRange(int phase, MemorySegment x, long xOffset, MemorySegment h, long hOffset,
      MemorySegment hNext, long hNextOffset, MemorySegment c, long cOffset, int n, int unitFrom, int unitTo,
      MemorySegment shared, MemorySegment scratch) {
    if (wholeRows != null) {
      if (unitFrom < unitTo) {
        wholeRows.step(false, x, xOffset, h, hOffset, hNext, hNextOffset, c, cOffset, n, unitFrom, unitTo, scratch);
      }
      return;
    }
    range(phase, false, x, xOffset, h, hOffset, hNext, hNextOffset, c, cOffset, n, unitFrom, unitTo, shared, 0,
        scratch);
  }

  @Override
  public void stepProjected(MemorySegment proj, long projOffset, MemorySegment h, long hOffset, MemorySegment c,
      long cOffset, int n, MemorySegment scratch) {
    wholeStep(true, proj, projOffset, h, hOffset, c, cOffset, n, scratch);
  }

  /** A whole step from x or, with {@code projected}, from the projections: every phase over [0, H). */
  private void wholeStep(boolean projected, MemorySegment in, long inOffset, MemorySegment h, long hOffset,
      MemorySegment c, long cOffset, int n, MemorySegment scratch) {
    if (wholeRows != null) {
      wholeRows.step(projected, in, inOffset, h, hOffset, h, hOffset, c, cOffset, n, 0, hidden, scratch);
      return;
    }
    long hNext = blockScratchBytes(n, blocks);
    long shared = hNext + (long) n * hidden * F;
    for (int phase = 0; phase < rangePhases(); phase++) {
      range(phase, projected, in, inOffset, h, hOffset, scratch, hNext, c, cOffset, n, 0, hidden, scratch, shared,
          scratch);
    }
    MemorySegment.copy(scratch, hNext, h, hOffset, (long) n * hidden * F);
  }

  /**
   * One phase for the units [from, to) of n streams. {@code in} is x [n, X], or with {@code projected} the
   * projections [n, G*H] of {@link #projectInputs}. {@code scratch} holds one block scratch per stream of a
   * group of {@link #STREAM_GROUP}.
   *
   * <p>Streams go in groups of six: each pass over a block's panel multiplies it into six streams at once
   * (register-tiled, so a batch reads each weight once per group instead of once per stream), then each
   * stream's nonlinearities and state update run (for a single group, after every block's pre-activations).
   * A stream's sums are formed in the same order whatever the group, and its updates are the same operations
   * in the same order, so a stream's result never depends on the batch it is in.
   */
  private void range(int phase, boolean projected, MemorySegment in, long inOffset, MemorySegment h,
      long hOffset, MemorySegment hNext, long hNextOffset, MemorySegment c, long cOffset, int n, int from, int to,
      MemorySegment shared, long sharedOffset, MemorySegment scratch) {
    if (from >= to) {
      return; // an empty range (a thread with no units); from may then be H, not a block boundary
    }
    int first = from / B;
    int end = (to + B - 1) / B;
    if (n <= STREAM_GROUP) {
      // One group: the pre-activations of every block first, then every update. The weight passes then
      // stream back to back, and the updates (chains of dependent arithmetic, latency-bound one block at a
      // time) run as one pass of independent blocks that overlap in the out-of-order window.
      for (int b = first; b < end; b++) {
        preActivations(phase, projected, in, inOffset, h, hOffset, c, cOffset, b, to, 0, n, shared, sharedOffset,
            scratch, (long) (b - first) * n * GATE_SCRATCH);
      }
      if (kind == CellKind.LSTM && vectorActivations) {
        lstmUpdates(c, cOffset, hNext, hNextOffset, first, end, to, n, scratch);
      } else if (lbr && vectorActivations) {
        lbrGruUpdates(h, hOffset, hNext, hNextOffset, first, end, to, n, scratch);
      } else {
        for (int b = first; b < end; b++) {
          updates(phase, h, hOffset, hNext, hNextOffset, c, cOffset, b, to, 0, n, shared, sharedOffset, scratch,
              (long) (b - first) * n * GATE_SCRATCH);
        }
      }
      return;
    }
    for (int b = first; b < end; b++) {
      for (int s0 = 0; s0 < n; s0 += STREAM_GROUP) {
        int count = Math.min(STREAM_GROUP, n - s0);
        preActivations(phase, projected, in, inOffset, h, hOffset, c, cOffset, b, to, s0, count, shared,
            sharedOffset, scratch, 0);
        updates(phase, h, hOffset, hNext, hNextOffset, c, cOffset, b, to, s0, count, shared, sharedOffset, scratch,
            0);
      }
    }
  }

  /**
   * The vector LSTM updates of blocks [first, end) (the range ending at unit {@code to}) for n streams whose
   * block scratches were filled by {@link #preActivations}, stream k of block b at
   * {@code ((b - first) * n + k) * GATE_SCRATCH}. Each stage runs over every vector before the next stage
   * starts: the stages of one vector form a chain of dependent arithmetic (activations, then c, then tanh(c),
   * then h), while the same stage of different vectors is independent and overlaps in the out-of-order
   * window, several times faster than one vector's chain after another. Each unit sees exactly the operations
   * of {@link #lstmUpdate}, in the same order.
   */
  private void lstmUpdates(MemorySegment c, long cOffset, MemorySegment out, long outOffset, int first, int end,
      int to, int n, MemorySegment g) {
    long stateRowBytes = (long) hidden * F;
    // Without peepholes and input_forget, slots i, o and f (contiguous) take one sigmoid run per block, and o
    // is activated with them rather than after c_new. A partial block activates whole slots (its lanes past
    // H hold finite padding or stale values that nothing reads).
    boolean runs = peepholes == null && !inputForget;
    for (int stage = 0; stage < 4; stage++) {
      for (int b = first; b < end; b++) {
        int valid = Math.min(B, to - b * B);
        boolean staged = valid < B;
        long unitBytes = (long) b * B * F;
        for (int k = 0; k < n; k++) {
          long gb = ((long) (b - first) * n + k) * GATE_SCRATCH;
          MemorySegment cUnits = staged ? g : c;
          long cAt = staged ? gb + C_STAGE : cOffset + k * stateRowBytes + unitBytes;
          if (runs && stage == 0) {
            VectorMath.activate(g, gb, 3 * B / L, hasClip, clip, scaleInF, scaleOutF, offsetF);
            VectorMath.activate(g, gb + 3 * SLOT, B / L, hasClip, clip, scaleInG, scaleOutG, offsetG);
          } else if (runs && stage == 2) {
            VectorMath.activate(g, gb + 3 * SLOT, B / L, false, Float.NaN, scaleInH, scaleOutH, offsetH);
          }
          for (int v = 0; v * L < valid && !(runs && (stage == 0 || stage == 2)); v++) {
            long vAt = v * VB;
            long at = gb + vAt;
            long peepAt = (long) b * 3 * SLOT + vAt;
            switch (stage) {
              case 0 -> {
                if (peepholes != null) {
                  peepholeInputs(g, at, cUnits, cAt + vAt, peepAt);
                }
                activate(g, at, scaleInF, scaleOutF, offsetF);
                if (!inputForget) {
                  activate(g, at + 2 * SLOT, scaleInF, scaleOutF, offsetF);
                }
                activate(g, at + 3 * SLOT, scaleInG, scaleOutG, offsetG);
              }
              case 1 -> {
                cellState(g, at, cUnits, cAt + vAt, inputForget);
                if (peepholes != null) {
                  peepholeOutput(g, at, peepholes, peepAt);
                }
              }
              case 2 -> {
                activate(g, at + SLOT, scaleInF, scaleOutF, offsetF);
                activateUnclipped(g, at + 3 * SLOT, scaleInH, scaleOutH, offsetH);
              }
              default -> {
                MemorySegment outUnits = staged ? g : out;
                long outAt = staged ? gb + OUT_STAGE : outOffset + k * stateRowBytes + unitBytes;
                product(g, at + SLOT, g, at + 3 * SLOT, outUnits, outAt + vAt);
              }
            }
          }
          if (staged && stage == 3) {
            MemorySegment.copy(g, gb + OUT_STAGE, out, outOffset + k * stateRowBytes + unitBytes, valid * F);
            MemorySegment.copy(g, gb + C_STAGE, c, cOffset + k * stateRowBytes + unitBytes, valid * F);
          }
        }
      }
    }
  }

  /**
   * The vector updates of the linear_before_reset GRU for blocks [first, end), arranged like
   * {@link #lstmUpdates}: stage by stage over every vector, z and r (contiguous slots) activated in one run
   * per block, so that the vectors' chains overlap. Each unit sees exactly the operations of
   * {@link #gruUpdate}, in the same order.
   */
  private void lbrGruUpdates(MemorySegment h, long hOffset, MemorySegment out, long outOffset, int first, int end,
      int to, int n, MemorySegment g) {
    long stateRowBytes = (long) hidden * F;
    for (int stage = 0; stage < 4; stage++) {
      for (int b = first; b < end; b++) {
        int valid = Math.min(B, to - b * B);
        boolean staged = valid < B;
        long unitBytes = (long) b * B * F;
        for (int k = 0; k < n; k++) {
          long gb = ((long) (b - first) * n + k) * GATE_SCRATCH;
          switch (stage) {
            // A partial block (always staged) works on whole slots; its lanes past H are never read.
            case 0 -> VectorMath.activate(g, gb, 2 * B / L, hasClip, clip, scaleInF, scaleOutF, offsetF);
            case 1 -> {
              for (int v = 0; v < B / L; v++) {
                long vAt = v * VB;
                resetProduct(g, gb + SLOT + vAt, gb + 2 * SLOT + vAt, gb + 3 * SLOT + vAt);
              }
            }
            case 2 -> VectorMath.activate(g, gb + 3 * SLOT, B / L, hasClip, clip, scaleInG, scaleOutG, offsetG);
            default -> {
              MemorySegment hUnits = staged ? g : h;
              long hAt = staged ? gb + H_STAGE : hOffset + k * stateRowBytes + unitBytes;
              MemorySegment outUnits = staged ? g : out;
              long outAt = staged ? gb + OUT_STAGE : outOffset + k * stateRowBytes + unitBytes;
              for (int v = 0; v < B / L; v++) {
                long vAt = v * VB;
                gruHidden(g, gb + vAt, gb + 3 * SLOT + vAt, hUnits, hAt + vAt, outUnits, outAt + vAt);
              }
              if (staged) {
                MemorySegment.copy(g, gb + OUT_STAGE, out, outOffset + k * stateRowBytes + unitBytes, valid * F);
              }
            }
          }
        }
      }
    }
  }

  /**
   * The pre-activations of block {@code b} for streams {@code s0 .. s0+count-1} into their block scratches,
   * stream k's at {@code base + k * GATE_SCRATCH}; a partial block (ending at {@code to}) also stages its
   * slices of h and c there.
   */
  private void preActivations(int phase, boolean projected, MemorySegment in, long inOffset, MemorySegment h,
      long hOffset, MemorySegment c, long cOffset, int b, int to, int s0, int count, MemorySegment shared,
      long sharedOffset, MemorySegment scratch, long base) {
    long inRowBytes = (projected ? (long) gates * hidden : inputSize) * F;
    long stateRowBytes = (long) hidden * F;
    int valid = Math.min(B, to - b * B);
    long unitBytes = (long) b * B * F;
    long inRows = inOffset + s0 * inRowBytes;
    long hRows = hOffset + s0 * stateRowBytes;
    // A partial last block works on copies of its slices of h, c and the output in the scratch, so that
    // every vector access is a whole vector and nothing outside [0, H) is read or written.
    if (valid < B) {
      for (int k = 0; k < count; k++) {
        long gs = base + k * GATE_SCRATCH;
        MemorySegment.copy(h, hRows + k * stateRowBytes + unitBytes, scratch, gs + H_STAGE, valid * F);
        if (kind == CellKind.LSTM) {
          MemorySegment.copy(c, cOffset + (s0 + k) * stateRowBytes + unitBytes, scratch, gs + C_STAGE,
              valid * F);
        }
      }
    }
    switch (kind) {
      case LSTM -> {
        input(projected, in, inRows, inRowBytes, b, 0, 8, valid, scratch, base, count);
        recurrent(r, 8, b, 0, h, hRows, stateRowBytes, scratch, base, count);
      }
      case GRU -> {
        if (lbr) {
          // One pass over all of R: z and r accumulate onto their input parts in slots 0 and 1, the h gate's
          // recurrent part onto Rb_h in slot 2, after its input part has moved to slot 3. (Two passes, over
          // two and one slots, ran only two to four FMA chains and were bound by FMA latency.)
          input(projected, in, inRows, inRowBytes, b, 0, 6, valid, scratch, base, count);
          for (int k = 0; k < count; k++) {
            long gs = base + k * GATE_SCRATCH;
            MemorySegment.copy(scratch, gs + 2 * SLOT, scratch, gs + 3 * SLOT, SLOT);
            MemorySegment.copy(bias, biasOffset(b, 3), scratch, gs + 2 * SLOT, SLOT);
          }
          recurrent(r, 6, b, 0, h, hRows, stateRowBytes, scratch, base, count);
        } else if (phase == 0) {
          input(projected, in, inRows, inRowBytes, b, 2, 2, valid, scratch, base + 2 * SLOT, count);
          recurrent(r, 2, b, 2, h, hRows, stateRowBytes, scratch, base + 2 * SLOT, count);
        } else {
          input(projected, in, inRows, inRowBytes, b, 0, 4, valid, scratch, base, count);
          recurrent(r, 2, b, 0, h, hRows, stateRowBytes, scratch, base, count);
          recurrent(r, 2, b, 1, shared, sharedOffset + s0 * stateRowBytes, stateRowBytes, scratch, base + SLOT,
              count);
        }
      }
      case MINIMAL_GRU -> {
        input(projected, in, inRows, inRowBytes, b, 0, 4, valid, scratch, base, count);
        recurrent(r, 4, b, 0, h, hRows, stateRowBytes, scratch, base, count);
      }
      case RNN -> {
        input(projected, in, inRows, inRowBytes, b, 0, 2, valid, scratch, base, count);
        recurrent(r, 2, b, 0, h, hRows, stateRowBytes, scratch, base, count);
      }
    }
  }

  /**
   * The nonlinearities and state updates of block {@code b} for streams {@code s0 .. s0+count-1} from their
   * block scratches at {@code base + k * GATE_SCRATCH}, written to the output (hNext, or the shared r * h in
   * phase 0 of the textbook GRU) and to c.
   */
  private void updates(int phase, MemorySegment h, long hOffset, MemorySegment hNext, long hNextOffset,
      MemorySegment c, long cOffset, int b, int to, int s0, int count, MemorySegment shared, long sharedOffset,
      MemorySegment scratch, long base) {
    long stateRowBytes = (long) hidden * F;
    boolean writesShared = kind == CellKind.GRU && !lbr && phase == 0;
    MemorySegment outSegment = writesShared ? shared : hNext;
    long outOffset = writesShared ? sharedOffset : hNextOffset;
    int valid = Math.min(B, to - b * B);
    long unitBytes = (long) b * B * F;
    boolean staged = valid < B;
    MemorySegment g = scratch;
    for (int k = 0; k < count; k++) {
      int s = s0 + k;
      long gb = base + k * GATE_SCRATCH;
      MemorySegment hUnits = staged ? g : h;
      long hAt = staged ? gb + H_STAGE : hOffset + s * stateRowBytes + unitBytes;
      MemorySegment cUnits = staged ? g : c;
      long cAt = staged ? gb + C_STAGE : cOffset + s * stateRowBytes + unitBytes;
      MemorySegment outUnits = staged ? g : outSegment;
      long outAt = staged ? gb + OUT_STAGE : outOffset + s * stateRowBytes + unitBytes;
      switch (kind) {
        case LSTM -> lstmUpdate(g, gb, cUnits, cAt, outUnits, outAt, b, valid);
        case GRU -> {
          if (lbr) {
            gruUpdate(g, gb, gb + 3 * SLOT, gb + 2 * SLOT, hUnits, hAt, outUnits, outAt, valid);
          } else if (phase == 0) {
            resetState(g, gb + 2 * SLOT, hUnits, hAt, outUnits, outAt, valid);
          } else {
            gruUpdate(g, gb, gb + SLOT, -1, hUnits, hAt, outUnits, outAt, valid);
          }
        }
        case MINIMAL_GRU -> minimalGruUpdate(g, gb, hUnits, hAt, outUnits, outAt, valid);
        case RNN -> rnnUpdate(g, gb, outUnits, outAt, valid);
      }
      if (staged) {
        MemorySegment.copy(g, gb + OUT_STAGE, outSegment, outOffset + s * stateRowBytes + unitBytes, valid * F);
        if (kind == CellKind.LSTM) {
          MemorySegment.copy(g, gb + C_STAGE, c, cOffset + s * stateRowBytes + unitBytes, valid * F);
        }
      }
    }
  }

  /**
   * Fills {@code vectors / 2} gate slots, from panel slot {@code slot}, of {@code count} streams' block
   * scratches: the biases plus W x, or the precomputed projections.
   */
  private void input(boolean projected, MemorySegment in, long inRows, long inRowBytes, int block, int slot,
      int vectors, int valid, MemorySegment scratch, long at, int count) {
    if (projected) {
      for (int k = 0; k < count; k++) {
        for (int p = slot; p < slot + vectors / 2; p++) {
          long from = inRows + k * inRowBytes + ((long) order[p] * hidden + (long) block * B) * F;
          MemorySegment.copy(in, from, scratch, k * GATE_SCRATCH + at + (p - slot) * SLOT, valid * F);
        }
      }
    } else {
      streams(w, vectors, block, slot, in, inRows, inRowBytes, bias, biasOffset(block, slot), 0, scratch, at, count);
    }
  }

  /** Adds R·state over {@code vectors} vectors of gate rows into the block scratches of {@code count} streams. */
  private static void recurrent(Panel panel, int vectors, int block, int slot, MemorySegment state, long stateRows,
      long stateRowBytes, MemorySegment scratch, long at, int count) {
    streams(panel, vectors, block, slot, state, stateRows, stateRowBytes, scratch, at, GATE_SCRATCH, scratch, at,
        count);
  }

  /**
   * {@code scratch[k] at = init[k] + panel · src[k]} for {@code count} streams k: a group of six as one
   * register tile per slot (fp32), else four as a tile and the rest one stream at a time (the same sums in
   * the same order).
   */
  private static void streams(Panel panel, int vectors, int block, int slot, MemorySegment src, long srcRows,
      long srcStride, MemorySegment init, long initOffset, long initStride, MemorySegment scratch, long at,
      int count) {
    int k = 0;
    if (count == STREAM_GROUP && panel.precision == WeightPrecision.FP32) {
      for (int p = 0; p < vectors / 2; p++) {
        PanelGemm.fp32Tile6(panel, block, slot + p, src, srcRows, srcStride, init, initOffset + p * SLOT,
            initStride, scratch, at + p * SLOT, GATE_SCRATCH, 1);
      }
      k = count;
    } else if (count >= 4) {
      for (int p = 0; p < vectors / 2; p++) {
        PanelGemv.tile4(panel, block, slot + p, src, srcRows, srcStride, init, initOffset + p * SLOT, initStride,
            scratch, at + p * SLOT, GATE_SCRATCH);
      }
      k = 4;
    }
    for (; k < count; k++) {
      PanelGemv.run(panel, vectors, block, slot, src, srcRows + k * srcStride, init, initOffset + k * initStride,
          scratch, k * GATE_SCRATCH + at);
    }
  }

  private long biasOffset(int block, int slot) {
    return ((long) block * biasSlots + slot) * SLOT;
  }

  // ------------------------------------------------------------------------------------- projections

  @Override
  public void projectInputs(MemorySegment x, long xOffset, int rows, MemorySegment proj, long projOffset,
      MemorySegment scratch) {
    // Rows go in chunks of PROJECT_CHUNK, slot by slot of each block within a chunk, so a slot's few KiB of W
    // and the chunk's inputs stay in L1/L2 while every tile of the chunk reuses them.
    long xRowBytes = (long) inputSize * F;
    long projRowBytes = (long) gates * hidden * F;
    for (int first = 0; first < rows; first += PROJECT_CHUNK) {
      int count = Math.min(PROJECT_CHUNK, rows - first);
      long xRows = xOffset + first * xRowBytes;
      for (int b = 0; b < blocks; b++) {
        int valid = Math.min(B, hidden - b * B);
        for (int p = 0; p < gates; p++) {
          long at = projOffset + first * projRowBytes + ((long) order[p] * hidden + (long) b * B) * F;
          if (valid == B) {
            PanelGemm.rows(w, b, p, x, xRows, xRowBytes, bias, biasOffset(b, p), 0, proj, at, projRowBytes, count,
                scratch, 0);
          } else {
            for (int k = 0; k < count; k++) {
              projectTail(x, xRows + k * xRowBytes, b, p, valid, proj, at + k * projRowBytes);
            }
          }
        }
      }
    }
  }

  /** The {@code valid} rows of a slot of the partial last block, one at a time (no scratch to stage a vector). */
  private void projectTail(MemorySegment x, long xRow, int block, int slot, int valid, MemorySegment proj,
      long at) {
    for (int u = 0; u < valid; u++) {
      float value = bias.get(JAVA_FLOAT, biasOffset(block, slot) + u * F) + w.rowDot(block, slot, u, x, xRow);
      proj.set(JAVA_FLOAT, at + u * F, value);
    }
  }

  // ---------------------------------------------------------------------------------- state updates
  //
  // The vector updates run as a sequence of small stages over one vector of the block, each reading and
  // writing the L1-resident gate scratch: activate a slot in place, combine slots, store the new state.
  // Following the rule of VectorShapes, no stage passes a vector to another method; vectors live only
  // inside one stage. Every access is a whole vector: a partial last block works on copies in the scratch
  // (see range), so no masks are needed.

  private static final jdk.incubator.vector.VectorSpecies<Float> FLOATS = VectorShapes.FLOATS;

  private void activate(MemorySegment g, long at, float scaleIn, float scaleOut, float offset) {
    VectorMath.activate(g, at, hasClip, clip, scaleIn, scaleOut, offset);
  }

  /** The LSTM update of one block from its gate slots at {@code gb} (i, o, f, c). */
  private void lstmUpdate(MemorySegment g, long gb, MemorySegment c, long cAt, MemorySegment hOut, long outAt,
      int block, int valid) {
    if (!vectorActivations) {
      for (int u = 0; u < valid; u++) {
        lstmUnit(g, gb + u * F, c, cAt + u * F, hOut, outAt + u * F, block, u);
      }
      return;
    }
    for (int v = 0; v * L < valid; v++) {
      long vAt = v * VB;
      long at = gb + vAt;
      long peepAt = (long) block * 3 * SLOT + vAt;
      if (peepholes != null) {
        peepholeInputs(g, at, c, cAt + vAt, peepAt);
      }
      activate(g, at, scaleInF, scaleOutF, offsetF);
      if (!inputForget) {
        activate(g, at + 2 * SLOT, scaleInF, scaleOutF, offsetF);
      }
      activate(g, at + 3 * SLOT, scaleInG, scaleOutG, offsetG);
      cellState(g, at, c, cAt + vAt, inputForget);
      if (peepholes != null) {
        peepholeOutput(g, at, peepholes, peepAt);
      }
      activate(g, at + SLOT, scaleInF, scaleOutF, offsetF);
      // h = o * h_activation(c_new): activate c_new (slot c) in place, then multiply by o (slot o).
      activateUnclipped(g, at + 3 * SLOT, scaleInH, scaleOutH, offsetH);
      product(g, at + SLOT, g, at + 3 * SLOT, hOut, outAt + vAt);
    }
  }

  /** Activates without the clip (the LSTM's h activation of c is not clipped). */
  private static void activateUnclipped(MemorySegment g, long at, float scaleIn, float scaleOut, float offset) {
    VectorMath.activate(g, at, false, Float.NaN, scaleIn, scaleOut, offset);
  }

  /** Slots i and f += peephole * c_prev. */
  private void peepholeInputs(MemorySegment g, long at, MemorySegment c, long cAt, long peepAt) {
    FloatVector cPrev = FloatVector.fromMemorySegment(FLOATS, c, cAt, ORDER);
    long f = at + 2 * SLOT;
    FloatVector.fromMemorySegment(FLOATS, peepholes, peepAt, ORDER).fma(cPrev,
        FloatVector.fromMemorySegment(FLOATS, g, at, ORDER)).intoMemorySegment(g, at, ORDER);
    FloatVector.fromMemorySegment(FLOATS, peepholes, peepAt + 2 * SLOT, ORDER).fma(cPrev,
        FloatVector.fromMemorySegment(FLOATS, g, f, ORDER)).intoMemorySegment(g, f, ORDER);
  }

  /** Slot o += peephole * c_new (c_new is in slot c by then). */
  private static void peepholeOutput(MemorySegment g, long at, MemorySegment peepholes, long peepAt) {
    long o = at + SLOT;
    FloatVector.fromMemorySegment(FLOATS, peepholes, peepAt + SLOT, ORDER).fma(
        FloatVector.fromMemorySegment(FLOATS, g, at + 3 * SLOT, ORDER),
        FloatVector.fromMemorySegment(FLOATS, g, o, ORDER)).intoMemorySegment(g, o, ORDER);
  }

  /** c_new = f * c_prev + i * candidate (f = 1 - i with input_forget): stored to c and over slot c. */
  private static void cellState(MemorySegment g, long at, MemorySegment c, long cAt,
      boolean inputForget) {
    FloatVector i = FloatVector.fromMemorySegment(FLOATS, g, at, ORDER);
    FloatVector f = inputForget ? i.neg().add(1f) : FloatVector.fromMemorySegment(FLOATS, g, at + 2 * SLOT, ORDER);
    FloatVector cPrev = FloatVector.fromMemorySegment(FLOATS, c, cAt, ORDER);
    FloatVector cNew = f.mul(cPrev).add(i.mul(FloatVector.fromMemorySegment(FLOATS, g, at + 3 * SLOT, ORDER)));
    cNew.intoMemorySegment(g, at + 3 * SLOT, ORDER);
    cNew.intoMemorySegment(c, cAt, ORDER);
  }

  /** out = a * b, one vector. */
  private static void product(MemorySegment a, long aAt, MemorySegment b, long bAt, MemorySegment out,
      long outAt) {
    FloatVector.fromMemorySegment(FLOATS, a, aAt, ORDER).mul(FloatVector.fromMemorySegment(FLOATS, b, bAt, ORDER))
        .intoMemorySegment(out, outAt, ORDER);
  }

  /** The scalar LSTM update of one unit, for activations without a vector form. */
  private void lstmUnit(MemorySegment g, long at, MemorySegment c, long cAt, MemorySegment hOut, long outAt,
      int block, int u) {
    float preI = g.get(JAVA_FLOAT, at);
    float preO = g.get(JAVA_FLOAT, SLOT + at);
    float preF = g.get(JAVA_FLOAT, 2 * SLOT + at);
    float preC = g.get(JAVA_FLOAT, 3 * SLOT + at);
    float cPrev = c.get(JAVA_FLOAT, cAt);
    long peepAt = (long) block * 3 * SLOT + u * F;
    if (peepholes != null) {
      preI += peepholes.get(JAVA_FLOAT, peepAt) * cPrev;
      preF += peepholes.get(JAVA_FLOAT, peepAt + 2 * SLOT) * cPrev;
    }
    float i = functionF.apply(clip(preI));
    float forget = inputForget ? 1f - i : functionF.apply(clip(preF));
    float cNew = forget * cPrev + i * functionG.apply(clip(preC));
    if (peepholes != null) {
      preO += peepholes.get(JAVA_FLOAT, peepAt + SLOT) * cNew;
    }
    c.set(JAVA_FLOAT, cAt, cNew);
    hOut.set(JAVA_FLOAT, outAt, functionF.apply(clip(preO)) * functionH.apply(cNew));
  }

  /**
   * The GRU update: z from slot {@code zAt}, the candidate pre-activation from slot {@code candidateAt} plus,
   * for linear_before_reset ({@code recurrentAt >= 0}), r (the slot after z) times the recurrent term at
   * {@code recurrentAt}.
   */
  private void gruUpdate(MemorySegment g, long zAt, long candidateAt, long recurrentAt, MemorySegment h,
      long hAt, MemorySegment hOut, long outAt, int valid) {
    if (!vectorActivations) {
      for (int u = 0; u < valid; u++) {
        float z = functionF.apply(clip(g.get(JAVA_FLOAT, zAt + u * F)));
        float pre = g.get(JAVA_FLOAT, candidateAt + u * F);
        if (recurrentAt >= 0) {
          pre += functionF.apply(clip(g.get(JAVA_FLOAT, zAt + SLOT + u * F)))
              * g.get(JAVA_FLOAT, recurrentAt + u * F);
        }
        float candidate = functionG.apply(clip(pre));
        float hPrev = h.get(JAVA_FLOAT, hAt + u * F);
        hOut.set(JAVA_FLOAT, outAt + u * F, (1f - z) * candidate + z * hPrev);
      }
      return;
    }
    for (int v = 0; v * L < valid; v++) {
      long at = v * VB;
      activate(g, zAt + at, scaleInF, scaleOutF, offsetF);
      if (recurrentAt >= 0) {
        activate(g, zAt + SLOT + at, scaleInF, scaleOutF, offsetF);
        resetProduct(g, zAt + SLOT + at, recurrentAt + at, candidateAt + at);
      }
      activate(g, candidateAt + at, scaleInG, scaleOutG, offsetG);
      gruHidden(g, zAt + at, candidateAt + at, h, hAt + at, hOut, outAt + at);
    }
  }

  /** candidate += r * recurrent (linear_before_reset). */
  private static void resetProduct(MemorySegment g, long rAt, long recurrentAt, long candidateAt) {
    FloatVector.fromMemorySegment(FLOATS, g, rAt, ORDER).fma(FloatVector.fromMemorySegment(FLOATS, g, recurrentAt,
        ORDER), FloatVector.fromMemorySegment(FLOATS, g, candidateAt, ORDER)).intoMemorySegment(g, candidateAt, ORDER);
  }

  /** h = (1 - z) * candidate + z * h_prev from the activated slots. */
  private static void gruHidden(MemorySegment g, long zAt, long candidateAt, MemorySegment h, long hAt,
      MemorySegment hOut, long outAt) {
    FloatVector z = FloatVector.fromMemorySegment(FLOATS, g, zAt, ORDER);
    FloatVector candidate = FloatVector.fromMemorySegment(FLOATS, g, candidateAt, ORDER);
    FloatVector hPrev = FloatVector.fromMemorySegment(FLOATS, h, hAt, ORDER);
    z.neg().add(1f).mul(candidate).add(z.mul(hPrev)).intoMemorySegment(hOut, outAt, ORDER);
  }

  /** Textbook GRU phase 0: {@code shared = r * h} for the block's units. */
  private void resetState(MemorySegment g, long rAt, MemorySegment h, long hAt, MemorySegment shared,
      long sharedAt, int valid) {
    if (!vectorActivations) {
      for (int u = 0; u < valid; u++) {
        float reset = functionF.apply(clip(g.get(JAVA_FLOAT, rAt + u * F)));
        shared.set(JAVA_FLOAT, sharedAt + u * F, reset * h.get(JAVA_FLOAT, hAt + u * F));
      }
      return;
    }
    for (int v = 0; v * L < valid; v++) {
      long at = v * VB;
      activate(g, rAt + at, scaleInF, scaleOutF, offsetF);
      product(g, rAt + at, h, hAt + at, shared, sharedAt + at);
    }
  }

  private void minimalGruUpdate(MemorySegment g, long gb, MemorySegment h, long hAt, MemorySegment hOut,
      long outAt, int valid) {
    if (!vectorActivations) {
      for (int u = 0; u < valid; u++) {
        float gate = functionF.apply(clip(g.get(JAVA_FLOAT, gb + u * F)));
        float candidate = functionG.apply(clip(g.get(JAVA_FLOAT, gb + SLOT + u * F)));
        float hPrev = h.get(JAVA_FLOAT, hAt + u * F);
        hOut.set(JAVA_FLOAT, outAt + u * F, gate * candidate + (1f - gate) * hPrev);
      }
      return;
    }
    for (int v = 0; v * L < valid; v++) {
      long vAt = v * VB;
      activate(g, gb + vAt, scaleInF, scaleOutF, offsetF);
      activate(g, gb + SLOT + vAt, scaleInG, scaleOutG, offsetG);
      minimalHidden(g, gb + vAt, h, hAt + vAt, hOut, outAt + vAt);
    }
  }

  /** h = u * candidate + (1 - u) * h_prev from the activated slots. */
  private static void minimalHidden(MemorySegment g, long at, MemorySegment h, long hAt, MemorySegment hOut,
      long outAt) {
    FloatVector gate = FloatVector.fromMemorySegment(FLOATS, g, at, ORDER);
    FloatVector candidate = FloatVector.fromMemorySegment(FLOATS, g, SLOT + at, ORDER);
    FloatVector hPrev = FloatVector.fromMemorySegment(FLOATS, h, hAt, ORDER);
    gate.mul(candidate).add(gate.neg().add(1f).mul(hPrev)).intoMemorySegment(hOut, outAt, ORDER);
  }

  private void rnnUpdate(MemorySegment g, long gb, MemorySegment hOut, long outAt, int valid) {
    if (!vectorActivations) {
      for (int u = 0; u < valid; u++) {
        hOut.set(JAVA_FLOAT, outAt + u * F, functionF.apply(clip(g.get(JAVA_FLOAT, gb + u * F))));
      }
      return;
    }
    for (int v = 0; v * L < valid; v++) {
      long vAt = v * VB;
      activate(g, gb + vAt, scaleInF, scaleOutF, offsetF);
      copyOut(g, gb + vAt, hOut, outAt + vAt);
    }
  }

  private static void copyOut(MemorySegment g, long at, MemorySegment hOut, long outAt) {
    FloatVector.fromMemorySegment(FLOATS, g, at, ORDER).intoMemorySegment(hOut, outAt, ORDER);
  }

  private float clip(float preActivation) {
    return hasClip ? Math.max(-clip, Math.min(clip, preActivation)) : preActivation;
  }
}
