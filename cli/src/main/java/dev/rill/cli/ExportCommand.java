package dev.rill.cli;

import dev.rill.converter.onnx.export.ExportOptions;
import dev.rill.converter.onnx.export.OnnxExporter;
import dev.rill.format.ModelReader;
import dev.rill.format.proto.RillModel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code rill export}: writes a Rill model as an ONNX model that ONNX Runtime loads. */
@Command(name = "export", mixinStandardHelpOptions = true,
    description = {"Exports a Rill model as an ONNX model (opset " + OnnxExporter.OPSET + ") with LSTM/GRU/RNN nodes that "
        + "reproduces Rill's outputs; its input is time-major [T, N, X] (token ids [T, N] for token models).", "",
        "Example:", "  rill export model.rill -o model.onnx", "  rill verify model.rill --onnx model.onnx"})
final class ExportCommand implements Callable<Integer> {

  @Spec
  CommandSpec spec;

  @Parameters(index = "0", paramLabel = "MODEL.rill", description = "The Rill model.")
  Path rillModel;

  @Option(names = {"-o", "--output"}, required = true, paramLabel = "MODEL.onnx", description = "The ONNX file to write (atomically).")
  Path output;

  @Option(names = "--initial-states", description = "Add initial_h_K (and initial_c_K) inputs per recurrent layer.")
  boolean initialStates;

  @Option(names = "--sequence-lengths", description = "Add an int32 sequence_lens input [N].")
  boolean sequenceLengths;

  @Override
  public Integer call() throws Exception {
    RillModel model = new ModelReader().read(rillModel);
    new OnnxExporter(new ExportOptions(initialStates, sequenceLengths, true)).export(model, output);
    spec.commandLine().getOut().printf("wrote %s: ONNX opset %d, %,d bytes, input '%s', output '%s'%n", output, OnnxExporter.OPSET,
        Files.size(output), OnnxExporter.inputName(model), OnnxExporter.outputName(model));
    return 0;
  }
}
