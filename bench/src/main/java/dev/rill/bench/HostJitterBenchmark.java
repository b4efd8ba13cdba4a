package dev.rill.bench;

import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The machine's own latency tail: a fixed chain of dependent floating-point operations that touches no memory,
 * allocates nothing and takes about as long as a streaming step at S ({@code 4000}, some 5 µs) or M
 * ({@code 24000}, some 30 µs). Run in sample mode beside {@link KernelStepBenchmark}, its p99 / p50 is what the
 * host adds to any operation of that length (interrupts, the hypervisor, other guests), so a step's p99 / p50
 * can be read against it: issue 3 asks for p99 at most 1.5× p50.
 *
 * <pre>java -jar bench/target/benchmarks.jar 'HostJitterBenchmark|KernelStepBenchmark' -p kernels=vector
 *     -p workload=S,M -bm sample -tu us</pre>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class HostJitterBenchmark {

  /** Dependent operations per call: about 5 µs (4000) or 30 µs (24000) on this machine. */
  @Param({"4000", "24000"})
  public int chain;

  /** A field, not a constant, so the chain cannot be folded. */
  public double seed = 0.5;

  /**
   * The chain: each step depends on the previous one (4 cycles of FMA latency each), so its time is fixed by
   * the core, whatever the caches hold.
   *
   * @return the chain's result, so that JMH keeps the work
   */
  @Benchmark
  public double chain() {
    double x = seed;
    for (int i = 0; i < chain; i++) {
      x = Math.fma(x, 0.999_999, 1e-9);
    }
    return x;
  }
}
