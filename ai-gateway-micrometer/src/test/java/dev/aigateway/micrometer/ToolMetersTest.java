package dev.aigateway.micrometer;

import static org.assertj.core.api.Assertions.assertThat;

import dev.aigateway.api.CallOutcome;
import dev.aigateway.api.GatewayEvent;
import dev.aigateway.api.Operation;
import dev.aigateway.api.TimingInfo;
import dev.aigateway.api.ToolCallInfo;
import dev.aigateway.micrometer.GenAiMetricNames.Attribute;
import dev.aigateway.micrometer.GenAiMetricNames.Metric;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** MCP and A2A events become their own meters, under the OpenTelemetry MCP and GenAI names. */
class ToolMetersTest {

  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private final GenAiMetrics metrics = GenAiMetrics.create(registry);

  private static GatewayEvent event(Operation operation, ToolCallInfo tool, long millis) {
    return GatewayEvent.builder()
        .callId(1)
        .operation(operation)
        .consumer("alice")
        .requestedModel(tool.target())
        .status(200)
        .outcome(CallOutcome.SUCCESS)
        .timing(
            new TimingInfo(
                Instant.parse("2026-01-01T00:00:00Z"),
                Duration.ofMillis(millis),
                null,
                Duration.ofNanos(1000)))
        .tool(tool)
        .build();
  }

  @Test
  void aToolCallContentSafetyBlockedIsCountedInTheSafetyActions() {
    ToolCallInfo tool =
        new ToolCallInfo(
            ToolCallInfo.Kind.MCP,
            "github",
            null,
            "tools/call",
            "get_issue",
            "5",
            "s1",
            ToolCallInfo.Outcome.BLOCKED,
            -32093,
            40,
            0);
    metrics.onEvent(
        GatewayEvent.builder()
            .callId(1)
            .operation(Operation.EXECUTE_TOOL)
            .consumer("alice")
            .requestedModel("github")
            .status(200)
            .outcome(CallOutcome.REJECTED)
            .rejection(dev.aigateway.api.RejectionReason.CONTENT_BLOCKED)
            .safety(
                new dev.aigateway.api.SafetyInfo(
                    dev.aigateway.api.SafetyOutcome.BLOCKED,
                    "deny-words",
                    "denied-word",
                    0,
                    Duration.ofMillis(3)))
            .timing(
                new TimingInfo(
                    Instant.parse("2026-01-01T00:00:00Z"),
                    Duration.ofMillis(5),
                    null,
                    Duration.ofNanos(1000)))
            .tool(tool)
            .build());

    assertThat(
            registry
                .get(Metric.SAFETY_ACTIONS.meterName())
                .tag(Attribute.CHECK.key(), "deny-words")
                .tag(Attribute.CATEGORY.key(), "denied-word")
                .tag(Attribute.ACTION.key(), "blocked")
                .counter()
                .count())
        .isEqualTo(1);
    assertThat(registry.get(Metric.SAFETY_CHECK_DURATION.meterName()).timer().count()).isEqualTo(1);
    assertThat(registry.find(Metric.OPERATION_DURATION.meterName()).timers()).isEmpty();
  }

  @Test
  void aToolCallIsTimedUnderTheMcpClientMetricWithTheToolAndMethod() {
    metrics.onEvent(
        event(
            Operation.EXECUTE_TOOL,
            new ToolCallInfo(
                ToolCallInfo.Kind.MCP,
                "github",
                null,
                "tools/call",
                "get_issue",
                "5",
                "s1",
                ToolCallInfo.Outcome.OK,
                null,
                40,
                120),
            250));

    Timer timer =
        registry
            .get(Metric.MCP_OPERATION_DURATION.meterName())
            .tag(Attribute.MCP_METHOD_NAME.key(), "tools/call")
            .tag(Attribute.TOOL_NAME.key(), "get_issue")
            .tag(Attribute.OPERATION_NAME.key(), "execute_tool")
            .tag(Attribute.MCP_SERVER.key(), "github")
            .tag(Attribute.ERROR_TYPE.key(), "none")
            .timer();
    assertThat(timer.count()).isEqualTo(1);
    assertThat(timer.totalTime(TimeUnit.MILLISECONDS)).isEqualTo(250);
    assertThat(
            registry
                .get(Metric.TOOL_PAYLOAD_SIZE.meterName())
                .tag(Attribute.DIRECTION.key(), "result")
                .summary()
                .totalAmount())
        .isEqualTo(120);
    assertThat(registry.find(Metric.OPERATION_DURATION.meterName()).timers()).isEmpty();
  }

  @Test
  void aRefusedToolCallCarriesItsJsonRpcCodeAsErrorType() {
    metrics.onEvent(
        event(
            Operation.EXECUTE_TOOL,
            new ToolCallInfo(
                ToolCallInfo.Kind.MCP,
                "github",
                null,
                "tools/call",
                "delete_repo",
                "9",
                null,
                ToolCallInfo.Outcome.DENIED,
                -32090,
                2,
                150),
            1));

    assertThat(
            registry
                .get(Metric.MCP_OPERATION_DURATION.meterName())
                .tag(Attribute.ERROR_TYPE.key(), "-32090")
                .tag(Attribute.RPC_STATUS_CODE.key(), "-32090")
                .tag(Attribute.OUTCOME.key(), "denied")
                .timer()
                .count())
        .isEqualTo(1);
  }

  @Test
  void anAgentCallIsTimedWithTheAgentsIdAndName() {
    metrics.onEvent(
        event(
            Operation.INVOKE_AGENT,
            new ToolCallInfo(
                ToolCallInfo.Kind.A2A,
                "planner",
                "Trip Planner",
                "message/stream",
                null,
                "\"s1\"",
                null,
                ToolCallInfo.Outcome.OK,
                null,
                90,
                900),
            1200));

    Timer timer =
        registry
            .get(Metric.AGENT_OPERATION_DURATION.meterName())
            .tag(Attribute.OPERATION_NAME.key(), "invoke_agent")
            .tag(Attribute.AGENT_ID.key(), "planner")
            .tag(Attribute.AGENT_NAME.key(), "Trip Planner")
            .tag(Attribute.RPC_METHOD.key(), "message/stream")
            .timer();
    assertThat(timer.totalTime(TimeUnit.MILLISECONDS)).isEqualTo(1200);
  }

  @Test
  void jsonRpcErrorCodesTheServerChoosesAreBoundedLikeEveryOtherValueFromOutside() {
    GenAiMetrics bounded = GenAiMetrics.builder(registry).maxValuesPerDimension(3).build();
    for (int code = 1; code <= 50; code++) { // a server that answers a code of its own each time
      bounded.onEvent(
          event(
              Operation.EXECUTE_TOOL,
              new ToolCallInfo(
                  ToolCallInfo.Kind.MCP,
                  "github",
                  null,
                  "tools/call",
                  "get_issue",
                  String.valueOf(code),
                  "s1",
                  ToolCallInfo.Outcome.ERROR,
                  -32000 - code,
                  40,
                  0),
              10));
    }

    var timers = registry.find(Metric.MCP_OPERATION_DURATION.meterName()).timers();
    assertThat(timers).hasSizeLessThanOrEqualTo(4); // three codes of their own, then "other"
    assertThat(timers.stream().mapToLong(Timer::count).sum()).isEqualTo(50);
    assertThat(
            registry
                .get(Metric.MCP_OPERATION_DURATION.meterName())
                .tag(Attribute.RPC_STATUS_CODE.key(), GenAiMetricNames.OTHER)
                .tag(Attribute.ERROR_TYPE.key(), GenAiMetricNames.OTHER)
                .timer()
                .count())
        .isEqualTo(47);
  }

  @Test
  void agentNamesFromAgentCardsAreBoundedLikeEveryOtherFreeTextTag() {
    SimpleMeterRegistry bounded = new SimpleMeterRegistry();
    GenAiMetrics limited = GenAiMetrics.builder(bounded).maxValuesPerDimension(3).build();
    for (int i = 0; i < 50; i++) {
      // A remote agent's card names it; one that renames itself on every fetch.
      limited.onEvent(
          event(
              Operation.INVOKE_AGENT,
              new ToolCallInfo(
                  ToolCallInfo.Kind.A2A,
                  "planner",
                  "Planner build " + i,
                  "message/send",
                  null,
                  "r" + i,
                  null,
                  ToolCallInfo.Outcome.OK,
                  null,
                  10,
                  10),
              5));
    }

    assertThat(bounded.get(Metric.AGENT_OPERATION_DURATION.meterName()).timers())
        .extracting(timer -> timer.getId().getTag(Attribute.AGENT_NAME.key()))
        .containsExactlyInAnyOrder(
            "Planner build 0", "Planner build 1", "Planner build 2", "other");
  }
}
