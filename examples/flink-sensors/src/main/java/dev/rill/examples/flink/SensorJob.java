package dev.rill.examples.flink;

import dev.rill.flink.Rill;
import dev.rill.flink.RillConfig;
import dev.rill.flink.RillOutput;
import java.io.Serial;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.Callable;
import org.apache.flink.api.common.JobExecutionResult;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.connector.datagen.source.DataGeneratorSource;
import org.apache.flink.connector.datagen.source.GeneratorFunction;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Many synthetic sensor streams through the bundled Silero VAD LSTM (input 128, hidden 128) on a local Flink
 * MiniCluster: each sensor is a key with its own recurrent state in Flink keyed state, checkpointed every
 * second. A few readings carry a NaN (a sensor glitch) and go to the rejected side output. It prints each
 * sensor's last output (the norm of the LSTM's hidden state and its first values) and every rejected reading.
 */
@Command(name = "flink-sensors", mixinStandardHelpOptions = true,
    description = "Steps synthetic sensor streams through a Rill model inside a local Flink job.")
public final class SensorJob implements Callable<Integer> {

  @Option(names = "--model", description = "the .rill model (default: ${DEFAULT-VALUE})",
      defaultValue = "examples/silero_vad_lstm.rill")
  Path model;

  @Option(names = "--sensors", description = "number of sensors, one key each (default: ${DEFAULT-VALUE})",
      defaultValue = "200")
  int sensors;

  @Option(names = "--readings", description = "readings per sensor (default: ${DEFAULT-VALUE})",
      defaultValue = "50")
  int readings;

  @Option(names = "--mode", description = "latency or throughput (default: ${DEFAULT-VALUE})",
      defaultValue = "throughput")
  String mode;

  @Option(names = "--parallelism", description = "parallel Rill instances (default: ${DEFAULT-VALUE})",
      defaultValue = "2")
  int parallelism;

  /** One reading: the sensor, its number within the sensor, 128 features. */
  public record SensorReading(String sensor, long seq, float[] features) {
  }

  public static void main(String[] args) {
    System.exit(new CommandLine(new SensorJob()).execute(args));
  }

  @Override
  public Integer call() throws Exception {
    if (!Files.isRegularFile(model)) {
      throw new CommandLine.ParameterException(new CommandLine(this), "model file not found: " + model
          + " (run from the repository root, or pass --model)");
    }
    long total = (long) sensors * readings;
    Configuration conf = new Configuration();
    conf.set(CheckpointingOptions.CHECKPOINTING_INTERVAL, Duration.ofSeconds(1));
    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(conf);
    env.setParallelism(parallelism);

    // One source instance, so each sensor's readings arrive in order.
    DataGeneratorSource<SensorReading> source = new DataGeneratorSource<>(new Readings(sensors), total,
        TypeInformation.of(SensorReading.class));
    DataStream<SensorReading> stream = env.fromSource(source,
        WatermarkStrategy.<SensorReading>noWatermarks().withTimestampAssigner((r, ts) -> r.seq()), "sensors")
        .setParallelism(1);

    RillConfig.Builder<SensorReading> config = RillConfig.builder(model.toAbsolutePath(), SensorReading::features)
        .rejectNonFinite(true);
    if (mode.equals("throughput")) {
      config.throughputMode(256, Duration.ofMillis(20));
    } else if (!mode.equals("latency")) {
      throw new CommandLine.ParameterException(new CommandLine(this), "--mode is latency or throughput, not "
          + mode);
    }
    Rill.Result<String, SensorReading> rill = Rill.process(stream.keyBy(SensorReading::sensor), config.build());
    long last = readings - 1;
    rill.outputs().uid("rill")
        .filter(out -> out.timestamp() == last).name("last reading of each sensor")
        .map(SensorJob::describe).name("describe")
        .print("last");
    rill.rejected().map(r -> r.key() + " #" + r.timestamp() + " rejected: " + r.reason()).name("describe rejected")
        .print("rejected");

    JobExecutionResult result = env.execute("Rill sensors (" + mode + " mode)");
    long millis = result.getNetRuntime();
    System.out.printf(Locale.ROOT, "%,d readings of %,d sensors in %,d ms (%,.0f readings/s), %s mode%n", total,
        sensors, millis, total * 1000.0 / Math.max(1, millis), mode);
    return 0;
  }

  private static String describe(RillOutput<String> out) {
    float[] h = out.output();
    double norm = 0;
    for (float v : h) {
      norm += (double) v * v;
    }
    return String.format(Locale.ROOT, "%s #%d |h| = %.4f, h[0..3] = [%.4f, %.4f, %.4f, %.4f]", out.key(),
        out.timestamp(), Math.sqrt(norm), h[0], h[1], h[2], h[3]);
  }

  /**
   * Reading {@code i} is reading {@code i / sensors} of sensor {@code i % sensors}: a noisy sine of the sensor's
   * own period and phase spread over 128 features; about one reading in 500 has a NaN. Its timestamp, set
   * by the source, is its number within the sensor.
   */
  static final class Readings implements GeneratorFunction<Long, SensorReading> {
    @Serial
    private static final long serialVersionUID = 1L;
    private final int sensors;

    Readings(int sensors) {
      this.sensors = sensors;
    }

    @Override
    public SensorReading map(Long i) {
      int k = (int) (i % sensors);
      long seq = i / sensors;
      Random random = new Random(i * 0x9E3779B97F4A7C15L + k);
      double period = 8 + k % 13;
      double signal = Math.sin(2 * Math.PI * seq / period + k);
      float[] features = new float[128];
      for (int f = 0; f < features.length; f++) {
        features[f] = (float) (signal * Math.cos(f * 0.1 + k) + 0.3 * random.nextGaussian());
      }
      if (random.nextInt(500) == 0) {
        features[random.nextInt(128)] = Float.NaN;
      }
      return new SensorReading(String.format(Locale.ROOT, "sensor-%04d", k), seq, features);
    }
  }
}
