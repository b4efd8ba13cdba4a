package dev.rill.bench;

import dev.rill.trainer.math.FloatGemm;
import dev.rill.trainer.math.FloatMatrix;
import dev.rill.trainer.math.PackedMatrix;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import jdk.incubator.vector.FloatVector;
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
 * The products of the reference trainer's character LSTM (embedding 64, hidden 256, 4 gates: 1024 gate rows,
 * vocabulary 83; 32 streams x 64 steps = 2048 rows) through {@link FloatGemm}, and this core's FMA peak.
 *
 * <p>Scores are µs per product; GFLOP/s is {@code 2 m n k / score / 1000} with m, n and k of {@link Shape}. The
 * weights the trainer packs once per window (W, R, D) are packed here in the setup; the other operands go through
 * the plain {@code multiply}, which packs its b on every call. {@link #fmaPeak} does {@link #PEAK_FLOPS} flops per
 * op, so its GFLOP/s is {@code PEAK_FLOPS / score / 1000} and a product's share of peak is the ratio of the two.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
public class TrainerGemmBenchmark {

  /** A product of the trainer: op(a) is m x k, op(b) k x n. */
  public enum Shape {
    /** Forward input projection of all steps: [2048 x 64]·Wᵀ, W [1024 x 64] packed. */
    INPUT_PROJECTION(2048, 1024, 64, false, true, true),
    /** One recurrent step: [32 x 256]·Rᵀ, R [1024 x 256] packed; 64 per window, forward. */
    RECURRENT_STEP(32, 1024, 256, false, true, true),
    /** Dense output layer: [2048 x 256]·Dᵀ, D [83 x 256] packed. */
    DENSE(2048, 83, 256, false, true, true),
    /** Backward through one recurrent step: [32 x 1024]·R, R packed. */
    RECURRENT_BACKWARD(32, 256, 1024, false, false, true),
    /** Backward to the inputs: [2048 x 1024]·W, W packed. */
    INPUT_BACKWARD(2048, 64, 1024, false, false, true),
    /** Gradient of W: Gᵀ·X, G [2048 x 1024], X [2048 x 64]. */
    GRADIENT_W(1024, 64, 2048, true, false, false),
    /** Gradient of R: Gᵀ·H, G [2048 x 1024], H [2048 x 256]. */
    GRADIENT_R(1024, 256, 2048, true, false, false),
    /** Gradient of D: [2048 x 83]ᵀ·[2048 x 256]. */
    DENSE_GRADIENT(83, 256, 2048, true, false, false),
    /** Dense backward to the hidden states: [2048 x 83]·D, D [83 x 256] packed. */
    DENSE_BACKWARD(2048, 256, 83, false, false, true);

    final int m;
    final int n;
    final int k;
    final boolean transposeA;
    final boolean transposeB;
    final boolean packed;

    Shape(int m, int n, int k, boolean transposeA, boolean transposeB, boolean packed) {
      this.m = m;
      this.n = n;
      this.k = k;
      this.transposeA = transposeA;
      this.transposeB = transposeB;
      this.packed = packed;
    }

    /** Floating-point operations of one product. */
    public long flops() {
      return 2L * m * n * k;
    }
  }

  private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
  static final int PEAK_ITERATIONS = 4096;
  static final int PEAK_CHAINS = 12;
  /** Flops of one {@link #fmaPeak} op. */
  public static final long PEAK_FLOPS = 2L * PEAK_ITERATIONS * PEAK_CHAINS * SPECIES.length();

  /** The operands of one product, and the product with its threads. */
  @State(Scope.Thread)
  public static class Product {
    /** The product. */
    @Param({"INPUT_PROJECTION", "RECURRENT_STEP", "DENSE", "RECURRENT_BACKWARD", "INPUT_BACKWARD", "GRADIENT_W",
        "GRADIENT_R", "DENSE_GRADIENT", "DENSE_BACKWARD"})
    public Shape shape;

    /** Threads of the product. */
    @Param({"1", "2"})
    public int threads;

    /** vector (the preferred width), vector-256, vector-128 or scalar. */
    @Param({"vector"})
    public String implementation;

    FloatGemm gemm;
    FloatMatrix a;
    FloatMatrix b;
    PackedMatrix packed;
    FloatMatrix c;

    /** Builds the operands and the product. */
    @Setup(Level.Trial)
    public void setUp() {
      FloatGemm base = switch (implementation) {
        case "vector" -> FloatGemm.vector();
        case "vector-512" -> FloatGemm.vector(512);
        case "vector-256" -> FloatGemm.vector(256);
        case "vector-128" -> FloatGemm.vector(128);
        case "scalar" -> FloatGemm.scalar();
        default -> throw new IllegalArgumentException("unknown implementation " + implementation);
      };
      gemm = threads == 1 ? base : base.withThreads(threads);
      SplittableRandom random = new SplittableRandom(1);
      a = shape.transposeA ? random(random, shape.k, shape.m) : random(random, shape.m, shape.k);
      b = shape.transposeB ? random(random, shape.n, shape.k) : random(random, shape.k, shape.n);
      packed = shape.packed ? gemm.pack(b, shape.transposeB) : null;
      c = FloatMatrix.zeros(shape.m, shape.n);
    }

    /** Stops the product's threads. */
    @TearDown(Level.Trial)
    public void tearDown() {
      gemm.close();
    }

    static FloatMatrix random(SplittableRandom random, int rows, int cols) {
      float[] data = new float[rows * cols];
      for (int i = 0; i < data.length; i++) {
        data[i] = (float) (random.nextDouble() * 2 - 1);
      }
      return FloatMatrix.of(data, rows, cols);
    }
  }

  /** The starting values of {@link #fmaPeak}. */
  @State(Scope.Thread)
  public static class Peak {
    float seed = 1.0001f;
  }

  /**
   * One product of the shape, c overwritten.
   *
   * @param p the operands
   * @return c, so that JMH keeps the work
   */
  @Benchmark
  public FloatMatrix product(Product p) {
    if (p.packed != null) {
      p.gemm.multiply(p.a, p.shape.transposeA, p.packed, p.c, false);
    } else {
      p.gemm.multiply(p.a, p.shape.transposeA, p.b, p.shape.transposeB, p.c, false);
    }
    return p.c;
  }

  /**
   * This core's fp32 FMA peak: {@value #PEAK_CHAINS} independent register-resident FMA chains of the preferred
   * species (more than latency times throughput), {@link #PEAK_FLOPS} flops per op, on one thread.
   *
   * @param peak the starting values
   * @return a lane of the sums, so that JMH keeps the work
   */
  @Benchmark
  public float fmaPeak(Peak peak) {
    return fmaChains(peak.seed);
  }

  /**
   * {@value #PEAK_CHAINS} independent chains of {@value #PEAK_ITERATIONS} FMAs of the preferred species each, in
   * registers: enough chains to cover an FMA latency of 4 cycles on 2 ports (8 in flight), with room to spare.
   *
   * @param seed the starting value of the chains, from a field so that it is not a constant
   * @return a lane of the sums, so that the caller can keep the work
   */
  static float fmaChains(float seed) {
    // Every vector from the static species: with exact types C2 keeps the chains in registers across the loop;
    // a FloatVector argument of unknown class makes it box them on every iteration (some 100x slower).
    FloatVector m = FloatVector.broadcast(SPECIES, seed);
    FloatVector x = FloatVector.broadcast(SPECIES, seed * 0.5f);
    FloatVector c0 = FloatVector.broadcast(SPECIES, seed + 0f);
    FloatVector c1 = FloatVector.broadcast(SPECIES, seed + 1f);
    FloatVector c2 = FloatVector.broadcast(SPECIES, seed + 2f);
    FloatVector c3 = FloatVector.broadcast(SPECIES, seed + 3f);
    FloatVector c4 = FloatVector.broadcast(SPECIES, seed + 4f);
    FloatVector c5 = FloatVector.broadcast(SPECIES, seed + 5f);
    FloatVector c6 = FloatVector.broadcast(SPECIES, seed + 6f);
    FloatVector c7 = FloatVector.broadcast(SPECIES, seed + 7f);
    FloatVector c8 = FloatVector.broadcast(SPECIES, seed + 8f);
    FloatVector c9 = FloatVector.broadcast(SPECIES, seed + 9f);
    FloatVector c10 = FloatVector.broadcast(SPECIES, seed + 10f);
    FloatVector c11 = FloatVector.broadcast(SPECIES, seed + 11f);
    for (int i = 0; i < PEAK_ITERATIONS; i++) {
      c0 = c0.fma(m, x);
      c1 = c1.fma(m, x);
      c2 = c2.fma(m, x);
      c3 = c3.fma(m, x);
      c4 = c4.fma(m, x);
      c5 = c5.fma(m, x);
      c6 = c6.fma(m, x);
      c7 = c7.fma(m, x);
      c8 = c8.fma(m, x);
      c9 = c9.fma(m, x);
      c10 = c10.fma(m, x);
      c11 = c11.fma(m, x);
    }
    return c0.add(c1).add(c2).add(c3).add(c4).add(c5).add(c6).add(c7).add(c8).add(c9).add(c10).add(c11).lane(0);
  }
}
