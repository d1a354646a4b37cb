package dev.aigateway.benchmarks;

import com.sun.management.ThreadMXBean;
import dev.aigateway.api.CallMatch;
import dev.aigateway.api.CallMatchers;
import dev.aigateway.api.Operation;
import dev.aigateway.core.Prompts;
import dev.aigateway.core.tokens.TokenCounter;
import dev.aigateway.core.wire.ClientRequest;
import dev.aigateway.core.wire.OpenAiRequest;
import dev.aigateway.core.wire.WireFormats;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The bytes a governed call allocates on its request before sending it, step by step, on the
 * workload's short chat ({@link Workload#shortChat}): recognising the call, reading the body's
 * top-level fields, counting its prompt (and, for comparison, building the body's tree). Each step
 * runs 200,000 times to warm up, then 100,000 times measured by the calling thread's allocated
 * bytes, which load on the machine does not change.
 *
 * <p>Run: {@code java -cp benchmarks/target/benchmarks.jar
 * dev.aigateway.benchmarks.RequestSideAllocation [warm-up calls] [measured calls]}.
 */
public final class RequestSideAllocation {

  private static final String PATH = "/v1/chat/completions";
  private static final String URL = "http://127.0.0.1:8080" + PATH;

  private static Object sink;

  private RequestSideAllocation() {}

  /** Prints the bytes per call of each step. */
  public static void main(String[] args) {
    int warmUp = args.length > 0 ? Integer.parseInt(args[0]) : 200_000;
    int measured = args.length > 1 ? Integer.parseInt(args[1]) : 100_000;
    measure(warmUp, measured)
        .forEach(
            (step, bytes) -> System.out.printf(Locale.ROOT, "%-40s %8.1f B/call%n", step, bytes));
  }

  /** The bytes per call of each step, by step, in order. */
  static Map<String, Double> measure(int warmUp, int measured) {
    byte[] body = Workload.shortChat(false);
    ClientRequest request = new WireFormatBenchmark.Call(URL, body);
    TokenCounter counter = TokenCounter.defaults();
    WireFormats formats = WireFormats.defaults();
    CallMatch match = new CallMatch(Operation.CHAT_COMPLETIONS, null);
    String json = new String(body, StandardCharsets.UTF_8);
    Map<String, Supplier<Object>> steps = new LinkedHashMap<>();
    steps.put("WireFormats.recognise", () -> formats.recognise("POST", PATH, name -> null));
    steps.put("CallMatchers match", () -> CallMatchers.openAiAndAzure().match("POST", PATH));
    steps.put("request view + model", () -> new OpenAiRequest(match, request, 1 << 20).model());
    steps.put(
        "request view + model + countPrompt",
        () -> {
          OpenAiRequest view = new OpenAiRequest(match, request, 1 << 20);
          view.model();
          return view.format().countPrompt(counter, view);
        });
    steps.put(
        "request view + model + tree",
        () -> {
          OpenAiRequest view = new OpenAiRequest(match, request, 1 << 20);
          view.model();
          return view.body();
        });
    steps.put(
        "Prompts.countTokens(String)",
        () -> Prompts.countTokens(counter, Workload.MODEL, Operation.CHAT_COMPLETIONS, json));
    Map<String, Double> bytes = new LinkedHashMap<>();
    steps.forEach((name, step) -> bytes.put(name, bytesPerCall(step, warmUp, measured)));
    return bytes;
  }

  private static double bytesPerCall(Supplier<Object> step, int warmUp, int measured) {
    for (int i = 0; i < warmUp; i++) {
      sink = step.get();
    }
    ThreadMXBean threads = (ThreadMXBean) ManagementFactory.getThreadMXBean();
    long thread = Thread.currentThread().getId();
    long before = threads.getThreadAllocatedBytes(thread);
    for (int i = 0; i < measured; i++) {
      sink = step.get();
    }
    return (threads.getThreadAllocatedBytes(thread) - before) / (double) measured;
  }
}
