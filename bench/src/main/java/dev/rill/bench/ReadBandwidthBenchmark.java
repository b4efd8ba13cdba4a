package dev.rill.bench;

import dev.rill.bench.RecurrentWorkload.Cell;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.concurrent.TimeUnit;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The read bandwidth of one core at the working-set size of a streaming step's fp32 weights ([W | R] of
 * {@link RecurrentWorkload#weightBytes}): one op sums an off-heap, 64-byte-aligned float segment of exactly that
 * many bytes, read again every op, so it stays in whichever cache level the weights of that step would.
 *
 * <p>The score (µs per op) is therefore the weight-streaming bandwidth floor of that step itself, the time
 * no kernel can beat while reading every weight once; issue 3's target is a step time at most floor / 0.85 at S and
 * M. Bandwidth in GB/s is {@code bytes / score}. Eight independent vector accumulators hide the add latency, so
 * the loop is bound by loads, not by the adds.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
public class ReadBandwidthBenchmark {

  private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
  private static final int ACCUMULATORS = 8;

  /** LSTM or GRU: the number of gates of the matrix. */
  @Param({"LSTM", "GRU"})
  public Cell cell;

  /** S, M or L. */
  @Param({"S", "M", "L"})
  public RecurrentWorkload workload;

  private Arena arena;
  private MemorySegment data;

  /** Allocates and fills the segment. */
  @Setup(Level.Trial)
  public void setUp() {
    long bytes = workload.weightBytes(cell, Float.BYTES);
    long unroll = (long) SPECIES.vectorByteSize() * ACCUMULATORS;
    if (bytes % unroll != 0) {
      throw new IllegalStateException(bytes + " bytes is not a multiple of " + unroll);
    }
    arena = Arena.ofShared();
    data = arena.allocate(bytes, 64);
    for (long i = 0; i < bytes / Float.BYTES; i++) {
      data.setAtIndex(ValueLayout.JAVA_FLOAT, i, (i % 7) * 0.125f);
    }
  }

  /** Frees the segment. */
  @TearDown(Level.Trial)
  public void tearDown() {
    arena.close();
  }

  /**
   * Reads every byte of the segment once.
   *
   * @return the sum, so that JMH keeps the work
   */
  @Benchmark
  public float sum() {
    MemorySegment segment = data;
    long size = segment.byteSize();
    long step = SPECIES.vectorByteSize();
    FloatVector a0 = FloatVector.zero(SPECIES);
    FloatVector a1 = a0;
    FloatVector a2 = a0;
    FloatVector a3 = a0;
    FloatVector a4 = a0;
    FloatVector a5 = a0;
    FloatVector a6 = a0;
    FloatVector a7 = a0;
    ByteOrder order = ByteOrder.nativeOrder();
    for (long offset = 0; offset < size; offset += ACCUMULATORS * step) {
      a0 = a0.add(FloatVector.fromMemorySegment(SPECIES, segment, offset, order));
      a1 = a1.add(FloatVector.fromMemorySegment(SPECIES, segment, offset + step, order));
      a2 = a2.add(FloatVector.fromMemorySegment(SPECIES, segment, offset + 2 * step, order));
      a3 = a3.add(FloatVector.fromMemorySegment(SPECIES, segment, offset + 3 * step, order));
      a4 = a4.add(FloatVector.fromMemorySegment(SPECIES, segment, offset + 4 * step, order));
      a5 = a5.add(FloatVector.fromMemorySegment(SPECIES, segment, offset + 5 * step, order));
      a6 = a6.add(FloatVector.fromMemorySegment(SPECIES, segment, offset + 6 * step, order));
      a7 = a7.add(FloatVector.fromMemorySegment(SPECIES, segment, offset + 7 * step, order));
    }
    return a0.add(a1).add(a2).add(a3).add(a4).add(a5).add(a6).add(a7).reduceLanes(VectorOperators.ADD);
  }
}
