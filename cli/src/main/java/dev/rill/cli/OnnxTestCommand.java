package dev.rill.cli;

import dev.rill.converter.onnx.OnnxConformance;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code rill onnx-test}: runs ONNX backend node-test folders through the importer and the runtime. */
@Command(name = "onnx-test", mixinStandardHelpOptions = true,
    description = {"Runs ONNX backend node tests (LSTM, GRU, RNN) through the Rill importer and runtime and compares every "
        + "output with rtol " + OnnxConformance.RTOL + " and atol " + OnnxConformance.ATOL + ".",
        "Each DIR holds model.onnx and test_data_set_N/{input,output}_K.pb; a DIR without model.onnx stands for every "
            + "case folder directly inside it. Prints one PASS/FAIL line per case with the largest absolute and relative "
            + "error; exits 1 if any case fails.", "",
        "Example:", "  rill onnx-test ../shared/fixtures/onnx-node"})
final class OnnxTestCommand implements Callable<Integer> {

  @Spec
  CommandSpec spec;

  @Parameters(arity = "1..*", paramLabel = "DIR", description = "Case folders, or folders of case folders.")
  List<Path> dirs;

  @Override
  public Integer call() throws IOException {
    List<Path> cases = new ArrayList<>();
    for (Path dir : dirs) {
      cases.addAll(casesIn(dir));
    }
    PrintWriter out = spec.commandLine().getOut();
    int failed = 0;
    for (Path c : cases) {
      OnnxConformance.CaseResult r = OnnxConformance.run(c);
      out.println(r.line());
      out.flush();
      failed += r.passed() ? 0 : 1;
    }
    out.printf("%d passed, %d failed%n", cases.size() - failed, failed);
    out.flush();
    return failed == 0 ? 0 : RillCli.EXIT_FAILURE;
  }

  private static List<Path> casesIn(Path dir) throws IOException {
    if (!Files.isDirectory(dir)) {
      throw new java.nio.file.NoSuchFileException(dir.toString());
    }
    if (Files.exists(dir.resolve("model.onnx"))) {
      return List.of(dir);
    }
    try (Stream<Path> children = Files.list(dir)) {
      List<Path> cases = children.filter(p -> Files.isRegularFile(p.resolve("model.onnx"))).sorted().toList();
      if (cases.isEmpty()) {
        throw new IOException(dir + " holds no model.onnx and no case folders with one");
      }
      return cases;
    }
  }
}
