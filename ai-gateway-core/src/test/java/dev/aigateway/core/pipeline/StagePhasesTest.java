package dev.aigateway.core.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.aigateway.api.GatewayEvent;
import dev.aigateway.core.AiGateway;
import dev.aigateway.core.cache.ResponseCache;
import dev.aigateway.core.limit.TokenLimit;
import dev.aigateway.core.telemetry.PromptLog;
import dev.aigateway.core.wire.ObservedBody;
import java.io.InputStream;
import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A factory's {@link CallStage.Factory#phases()} name every phase its stages do something in: the
 * orchestrator skips a stage in the others, so a phase left out would silently drop the stage's
 * work there.
 */
class StagePhasesTest {

  /** Each phase's bit and the stage method that does its work. */
  private static final Map<Integer, Method> PHASES = new LinkedHashMap<>();

  static {
    try {
      PHASES.put(CallStage.ADMIT, CallStage.class.getMethod("admit"));
      PHASES.put(CallStage.HOLD, CallStage.class.getMethod("hold", InputStream.class));
      PHASES.put(CallStage.OBSERVE, CallStage.class.getMethod("observe", ObservedBody.class));
      PHASES.put(
          CallStage.DELIVER,
          CallStage.class.getMethod("deliver", ObservedBody.class, InputStream.class));
      PHASES.put(CallStage.END, CallStage.class.getMethod("end"));
      PHASES.put(
          CallStage.DESCRIBE, CallStage.class.getMethod("describe", GatewayEvent.Builder.class));
    } catch (NoSuchMethodException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  @Test
  void telemetryObservesTheBodyOnlyForAPromptLog() {
    AiGateway withLog =
        AiGateway.builder().listener(event -> {}).promptLog(PromptLog.builder()).build();
    AiGateway withoutLog = AiGateway.builder().listener(event -> {}).build();
    assertThat(withLog.stages().factories().get(0).phases() & CallStage.OBSERVE).isNotZero();
    assertThat(withLog.stages().anyIn(CallStage.OBSERVE)).isTrue();
    // Without a prompt log, telemetry's observe() would do nothing: no stage observes the body.
    assertThat(withoutLog.stages().factories().get(0).phases() & CallStage.OBSERVE).isZero();
    assertThat(withoutLog.stages().anyIn(CallStage.OBSERVE)).isFalse();
    assertThat(withoutLog.stages().anyIn(CallStage.END)).isTrue();
    assertThat(withoutLog.stages().anyIn(CallStage.HOLD | CallStage.DELIVER)).isFalse();
  }

  @Test
  void everyStageTakesPartInEachPhaseItDoesSomethingIn() throws Exception {
    AiGateway gateway =
        AiGateway.builder()
            .listener(event -> {})
            .promptLog(PromptLog.builder())
            .tokenLimit(TokenLimit.perConsumer().tokensPerMinute(1_000))
            .responseCache(ResponseCache.builder())
            .build();
    List<CallStage.Factory> factories = gateway.stages().factories();
    assertThat(gateway.stages().size()).isEqualTo(factories.size());
    List<String> narrowed = new ArrayList<>();
    for (int i = 0; i < factories.size(); i++) {
      CallStage.Factory factory = factories.get(i);
      int phases = gateway.stages().phases(i);
      assertThat(phases).isEqualTo(factory.phases());
      Class<?> stage = factory.begin(ExchangeDescribeTest.exchange(gateway)).getClass();
      for (Map.Entry<Integer, Method> phase : PHASES.entrySet()) {
        Method method = phase.getValue();
        boolean overridden =
            stage.getMethod(method.getName(), method.getParameterTypes()).getDeclaringClass()
                != CallStage.class;
        if (overridden) {
          assertThat(phases & phase.getKey())
              .as("%s does something in %s(), so its factory must name that phase", stage, method)
              .isNotZero();
        }
      }
      if (phases != CallStage.ALL_PHASES) {
        narrowed.add(stage.getSimpleName());
      }
    }
    // The stages every governed call has name their phases: they are skipped where they do nothing.
    assertThat(narrowed).contains("TelemetryStage", "AllowanceStage", "LimitStage");
  }

  @Test
  void onlyStagesThatDescribeAreAskedTo() {
    AiGateway gateway = AiGateway.builder().listener(event -> {}).build();
    Exchange exchange = ExchangeDescribeTest.exchange(gateway);
    List<String> described = new ArrayList<>();
    exchange.stages(
        new CallStage[] {
          ExchangeDescribeTest.stage("outer", described),
          ExchangeDescribeTest.stage("middle", described),
          ExchangeDescribeTest.stage("inner", described)
        },
        new int[] {CallStage.ALL_PHASES, CallStage.ADMIT | CallStage.END, CallStage.DESCRIBE});

    exchange.describeStages(GatewayEvent.builder());

    assertThat(described).containsExactly("outer", "inner");
  }

  @Test
  void phasesMustMatchTheStages() {
    Exchange exchange =
        ExchangeDescribeTest.exchange(AiGateway.builder().listener(event -> {}).build());

    assertThatThrownBy(
            () ->
                exchange.stages(
                    new CallStage[] {ExchangeDescribeTest.stage("only", new ArrayList<>())},
                    new int[] {1, 1}))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void aFactoryNamingAPhaseThatDoesNotExistIsRefused() {
    CallStage.Factory odd =
        new CallStage.Factory() {
          @Override
          public CallStage begin(Exchange exchange) {
            return new CallStage() {};
          }

          @Override
          public int phases() {
            return CallStage.ALL_PHASES | (1 << 30);
          }
        };

    assertThatThrownBy(() -> Pipeline.of(List.of(odd)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("phases that do not exist");
  }

  @Test
  void aPipelineBeginsOneStagePerFactoryAndTellsTheExchange() {
    AiGateway gateway =
        AiGateway.builder()
            .listener(event -> {})
            .tokenLimit(TokenLimit.perConsumer().tokensPerMinute(1_000))
            .build();
    Pipeline pipeline = gateway.stages();
    Exchange exchange = ExchangeDescribeTest.exchange(gateway);

    CallStage[] stages = pipeline.begin(exchange);

    assertThat(stages).hasSize(pipeline.size());
    assertThat(pipeline.isEmpty()).isFalse();
    for (int i = 0; i < stages.length; i++) {
      assertThat(stages[i]).isNotNull();
      assertThat(pipeline.phases(i)).isEqualTo(pipeline.factories().get(i).phases());
    }
    assertThatThrownBy(() -> pipeline.factories().add(pipeline.factories().get(0)))
        .isInstanceOf(UnsupportedOperationException.class);
  }
}
