package dev.aigateway.micrometer;

import dev.aigateway.api.GatewayEvent;
import dev.aigateway.api.ToolCallInfo;
import dev.aigateway.micrometer.GenAiMetricNames.Attribute;
import dev.aigateway.micrometer.GenAiMetricNames.Metric;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.Locale;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;

/**
 * The meters of MCP tool calls and A2A agent calls ({@link GatewayEvent#tool()}): their duration
 * under the OpenTelemetry MCP name (A2A under the gateway's own), and their payload sizes. Tool
 * names come from requests and JSON-RPC error codes from servers, so they are bounded like every
 * other dimension.
 */
final class ToolMeters {

  private final MeterRegistry registry;
  private final ValueLimit toolNames;
  private final ValueLimit methods;
  private final ValueLimit codes;
  private final ValueLimit agentNames;
  private final ConcurrentHashMap<TimerKey, Timer> timers = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<SizeKey, DistributionSummary> sizes = new ConcurrentHashMap<>();

  ToolMeters(MeterRegistry registry, int maxValues, Logger log) {
    this.registry = registry;
    this.toolNames = new ValueLimit(Attribute.TOOL_NAME.key(), maxValues, log);
    this.methods = new ValueLimit(Attribute.MCP_METHOD_NAME.key(), maxValues, log);
    this.codes = new ValueLimit(Attribute.RPC_STATUS_CODE.key(), maxValues, log);
    this.agentNames = new ValueLimit(Attribute.AGENT_NAME.key(), maxValues, log);
  }

  private record TimerKey(
      ToolCallInfo.Kind kind,
      String target,
      String agentName,
      String method,
      String tool,
      String outcome,
      String code) {}

  private record SizeKey(ToolCallInfo.Kind kind, String target, boolean arguments) {}

  void record(GatewayEvent event) {
    ToolCallInfo tool = event.tool();
    // A server may answer any code (any int), so codes are bounded like values from requests.
    String code =
        tool.errorCode() == null ? GenAiMetricNames.NONE : codes.admit(tool.errorCode().toString());
    TimerKey key =
        new TimerKey(
            tool.kind(),
            tool.target(),
            // An agent names itself in its card, which the gateway re-reads: bounded too.
            tool.agentName() == null ? tool.target() : agentNames.admit(tool.agentName()),
            methods.admit(tool.method()),
            toolNames.admit(tool.tool()),
            tool.outcome().name().toLowerCase(Locale.ROOT),
            code);
    timers.computeIfAbsent(key, this::timer).record(event.timing().latency());
    size(tool, true).record(tool.argumentBytes());
    if (tool.resultBytes() > 0) {
      size(tool, false).record(tool.resultBytes());
    }
  }

  private Timer timer(TimerKey k) {
    // error.type: the JSON-RPC error code when there is one, else how the call failed.
    boolean failed = !k.outcome().equals("ok");
    String errorType =
        !failed
            ? GenAiMetricNames.NONE
            : k.code().equals(GenAiMetricNames.NONE) ? k.outcome() : k.code();
    if (k.kind() == ToolCallInfo.Kind.MCP) {
      Metric metric = Metric.MCP_OPERATION_DURATION;
      return Timer.builder(metric.meterName())
          .description(metric.description())
          .tag(Attribute.MCP_METHOD_NAME.key(), k.method())
          .tag(Attribute.TOOL_NAME.key(), k.tool())
          .tag(
              Attribute.OPERATION_NAME.key(),
              "tools/call".equals(k.method()) ? "execute_tool" : GenAiMetricNames.NONE)
          .tag(Attribute.MCP_SERVER.key(), k.target())
          .tag(Attribute.ERROR_TYPE.key(), errorType)
          .tag(Attribute.RPC_STATUS_CODE.key(), k.code())
          .tag(Attribute.OUTCOME.key(), k.outcome())
          .register(registry);
    }
    Metric metric = Metric.AGENT_OPERATION_DURATION;
    return Timer.builder(metric.meterName())
        .description(metric.description())
        .tag(Attribute.OPERATION_NAME.key(), "invoke_agent")
        .tag(Attribute.AGENT_ID.key(), k.target())
        .tag(Attribute.AGENT_NAME.key(), k.agentName())
        .tag(Attribute.RPC_METHOD.key(), k.method())
        .tag(Attribute.ERROR_TYPE.key(), errorType)
        .tag(Attribute.RPC_STATUS_CODE.key(), k.code())
        .tag(Attribute.OUTCOME.key(), k.outcome())
        .register(registry);
  }

  private DistributionSummary size(ToolCallInfo tool, boolean arguments) {
    return sizes.computeIfAbsent(
        new SizeKey(tool.kind(), tool.target(), arguments),
        k ->
            DistributionSummary.builder(Metric.TOOL_PAYLOAD_SIZE.meterName())
                .description(Metric.TOOL_PAYLOAD_SIZE.description())
                .baseUnit(Metric.TOOL_PAYLOAD_SIZE.unit())
                .tag(Attribute.KIND.key(), k.kind().name().toLowerCase(Locale.ROOT))
                .tag(Attribute.TARGET.key(), k.target())
                .tag(Attribute.DIRECTION.key(), k.arguments() ? "arguments" : "result")
                .register(registry));
  }
}
