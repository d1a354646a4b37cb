package dev.aigateway.spring;

import dev.aigateway.api.GatewayListener;
import dev.aigateway.api.spi.ResponseCacheStore;
import dev.aigateway.api.spi.TokenLimitStore;
import dev.aigateway.core.AiGateway;
import dev.aigateway.core.UnresolvedCallersException;
import dev.aigateway.core.inventory.InventoryOptions;
import dev.aigateway.core.telemetry.PromptLog;
import dev.aigateway.micrometer.GenAiMetrics;
import dev.aigateway.okhttp.SdkRetryAdvice;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.List;
import okhttp3.OkHttpClient;
import org.springframework.ai.anthropic.http.okhttp.AnthropicHttpClientBuilderCustomizer;
import org.springframework.ai.anthropic.http.okhttp.SpringAiAnthropicHttpClient;
import org.springframework.ai.openai.http.okhttp.OpenAiHttpClientBuilderCustomizer;
import org.springframework.ai.openai.http.okhttp.SpringAiOpenAiHttpClient;
import org.springframework.beans.factory.ListableBeanFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.SmartInitializingSingleton;
import org.springframework.beans.factory.config.BeanPostProcessor;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * Auto-configuration of the gateway from {@code ai-gateway.*} properties.
 *
 * <ul>
 *   <li>an {@link AiGateway} bean, unless the application declares its own: consumer key, token
 *       limits, backend pool, response cache, prompt log and throw-on-rejection from {@link
 *       AiGatewayProperties}; the application's {@link GatewayListener} beans as listeners, a
 *       {@link TokenLimitStore} or {@link ResponseCacheStore} bean as the store (of several, the
 *       {@code @Primary} one; several without one fail startup rather than leave the gateway on its
 *       in-memory store), and every {@link AiGatewayBuilderCustomizer} bean applied last; the
 *       listener, store and meter registry beans are closed after the wrapped clients, Spring AI's
 *       models and the beans that use them, so a call that ends while those close is still settled,
 *       seen and recorded;
 *   <li>token metrics ({@link GenAiMetrics}) in the application's {@link MeterRegistry} (of
 *       several, the {@code @Primary} one, such as Actuator's composite; several without one fail
 *       startup naming them rather than record nothing), when it has one and neither declares a
 *       {@link GenAiMetrics} bean of its own nor adds one with a customizer (which records in their
 *       place); off with {@code ai-gateway.metrics.enabled=false};
 *   <li>Spring AI's OpenAI and Anthropic models governed: an {@code
 *       OpenAiHttpClientBuilderCustomizer} and an {@code AnthropicHttpClientBuilderCustomizer} add
 *       the gateway's interceptor to the OkHttp clients Spring AI builds, the gateway looked up
 *       once the singletons are made, so the gateway's own listeners, stores and customizers may
 *       use a Spring AI model (off with {@code ai-gateway.govern-spring-ai=false}). Those
 *       customizers take application interceptors only, so these clients cannot have {@code
 *       OkHttpAiGateway.redirectGuard()} (a network interceptor): a redirect to another origin
 *       keeps OkHttp's own handling, which removes only {@code Authorization} ({@code
 *       docs/integrations.md});
 *   <li>every {@link OkHttpClient} bean of the application wrapped, the gateway looked up once the
 *       singletons are made, so the gateway's own listeners and stores may use the client (off with
 *       {@code ai-gateway.wrap-okhttp-beans=false}; several {@link AiGateway} beans without a
 *       {@code @Primary} one fail startup naming them);
 *   <li>backend credentials (OAuth 2.0 client credentials; Entra ID when {@code
 *       ai-gateway-azure-identity} is on the class path), access rules with a role header, and the
 *       JWT caller resolver when {@code ai-gateway-jwt} is on the class path.
 *   <li>an {@link AiGatewayInventory} bean, the gateway's inventory for the application to serve.
 * </ul>
 *
 * <p>A property the gateway cannot be built with fails startup with an {@link
 * InvalidGatewayPropertyException} naming it.
 */
@AutoConfiguration
@ConditionalOnClass(AiGateway.class)
@ConditionalOnBooleanProperty(name = "ai-gateway.enabled", matchIfMissing = true)
@EnableConfigurationProperties(AiGatewayProperties.class)
public final class AiGatewayAutoConfiguration {

  /** The name of the gateway bean this configuration makes. */
  private static final String GATEWAY_BEAN = "aiGateway";

  /** The name of the prompt log bean this configuration makes. */
  private static final String PROMPT_LOG_BEAN = "aiGatewayPromptLog";

  /** Created by Spring. */
  public AiGatewayAutoConfiguration() {}

  /**
   * The gateway, built from the properties, the application's listener and store beans, the prompt
   * log, the customizers and the metrics. A {@link GenAiMetrics} of the application's (a listener
   * bean, or one a customizer adds, for its own dimensions) replaces the default metrics, so no
   * call is recorded twice.
   *
   * <p>When the context closes, the Responses API background calls still waiting for their usage
   * are settled on their whole allowance, each with its event ({@link
   * AiGateway#settleBackgroundResponses()}), before the listeners, stores, prompt log and meter
   * registry it was built with are closed.
   */
  @Bean(destroyMethod = "settleBackgroundResponses")
  @ConditionalOnMissingBean
  public AiGateway aiGateway(
      ListableBeanFactory beanFactory,
      AiGatewayProperties properties,
      ObjectProvider<GatewayListener> listeners,
      ObjectProvider<TokenLimitStore> tokenLimitStore,
      ObjectProvider<ResponseCacheStore> responseCacheStore,
      ObjectProvider<PromptLog> promptLog,
      ObjectProvider<MeterRegistry> meterRegistry,
      ObjectProvider<AiGatewayBuilderCustomizer> customizers,
      ObjectProvider<OptionalModules.EntraIdSupport> entraId,
      ObjectProvider<OptionalModules.JwtSupport> jwt,
      ObjectProvider<OptionalModules.AwsSupport> aws) {
    AiGateway.Builder builder =
        GatewayPropertiesMapper.builder(
            properties,
            properties.getCache().isEnabled() ? responseCacheStore.getIfAvailable() : null,
            new OptionalModules(
                entraId.getIfAvailable(), jwt.getIfAvailable(), aws.getIfAvailable()));
    tokenLimitStore.ifAvailable(builder::tokenLimitStore);
    listeners.orderedStream().forEach(builder::listener);
    PromptLog log = promptLog.getIfAvailable();
    if (log != null) {
      String[] logNames = beanFactory.getBeanNamesForType(PromptLog.class);
      if (!List.of(logNames).contains(PROMPT_LOG_BEAN)) {
        GatewayPropertiesMapper.checkOwnPromptLog(
            properties.getPromptLog(), String.join(", ", logNames));
      }
      builder.promptLog(log);
    }
    customizers.orderedStream().forEach(customizer -> customizer.customize(builder));
    if (properties.getMetrics().isEnabled()
        && builder.listeners().stream().noneMatch(GenAiMetrics.class::isInstance)) {
      meterRegistry.ifAvailable(registry -> builder.listener(GenAiMetrics.create(registry)));
    }
    try {
      AiGateway gateway = builder.build();
      OkHttpClientWrapper.closeGatewayBeansAfter(beanFactory, List.of(GATEWAY_BEAN));
      return gateway;
    } catch (UnresolvedCallersException e) {
      throw GatewayPropertiesMapper.unresolvedCallers(properties, e);
    } catch (IllegalArgumentException | IllegalStateException e) {
      if (e instanceof InvalidGatewayPropertyException) {
        throw e;
      }
      throw new InvalidGatewayPropertyException(
          AiGatewayProperties.PREFIX, String.valueOf(e.getMessage()), e);
    }
  }

  /**
   * The gateway's inventory with the default options (usage included, at most 100 consumers), for
   * the application to serve; see {@link AiGatewayInventory}.
   */
  @Bean
  @ConditionalOnMissingBean
  public AiGatewayInventory aiGatewayInventory(AiGateway gateway) {
    return new AiGatewayInventory(gateway, InventoryOptions.defaults());
  }

  /**
   * The prompt log, when {@code ai-gateway.prompt-log.enabled=true}; closed (its queue flushed)
   * when the context closes, after the wrapped {@link OkHttpClient} beans, Spring AI's model beans
   * and the beans that use them, so a call that ends while they close is still logged.
   */
  @Bean(destroyMethod = "close")
  @ConditionalOnMissingBean
  @ConditionalOnBooleanProperty(name = "ai-gateway.prompt-log.enabled")
  public PromptLog aiGatewayPromptLog(AiGatewayProperties properties) {
    return GatewayPropertiesMapper.promptLog(properties.getPromptLog());
  }

  /**
   * Logs a warning at startup naming the {@code ai-gateway.*} keys no property binds (a misspelled
   * key), leaving out environment variables and system properties; see {@link
   * UnknownPropertiesWarning}.
   */
  @Bean
  static SmartInitializingSingleton aiGatewayUnknownPropertiesWarning() {
    return new UnknownPropertiesWarning();
  }

  /**
   * Wraps every {@link OkHttpClient} bean so its LLM calls are governed, the gateway looked up once
   * the singletons are made; a client that already has a gateway's interceptor is left as it is.
   */
  @Bean
  // By name: a class literal on a bean method cannot be read without OkHttp, which is optional
  // (Spring then warns of a type not present at every startup and cannot apply the condition).
  @ConditionalOnClass(name = "okhttp3.OkHttpClient")
  @ConditionalOnBooleanProperty(name = "ai-gateway.wrap-okhttp-beans", matchIfMissing = true)
  public static BeanPostProcessor aiGatewayOkHttpClientWrapper(ObjectProvider<AiGateway> gateway) {
    return new OkHttpClientWrapper(gateway);
  }

  /**
   * Entra ID backend credentials ({@code ai-gateway.pool.backends[i].entra-id}), when {@code
   * ai-gateway-azure-identity} is on the class path.
   */
  @Configuration(proxyBeanMethods = false)
  @ConditionalOnClass(name = "dev.aigateway.azure.identity.EntraIdCredentials")
  static class EntraIdModule {

    @Bean
    OptionalModules.EntraIdSupport aiGatewayEntraIdCredentials() {
      return new EntraIdCredentialsFactory();
    }
  }

  /**
   * The AWS SDK's default credential chain for bedrock backends ({@code
   * ai-gateway.pool.backends[i].flavor: bedrock}), when {@code ai-gateway-aws} is on the class
   * path.
   */
  @Configuration(proxyBeanMethods = false)
  @ConditionalOnClass(name = "dev.aigateway.aws.AwsSdkCredentials")
  static class AwsModule {

    @Bean
    OptionalModules.AwsSupport aiGatewayAwsCredentials() {
      return dev.aigateway.aws.AwsSdkCredentials::defaultChain;
    }
  }

  /** The JWT caller resolver ({@code ai-gateway.jwt}), when {@code ai-gateway-jwt} is present. */
  @Configuration(proxyBeanMethods = false)
  @ConditionalOnClass(name = "dev.aigateway.jwt.JwtCallerResolver")
  static class JwtModule {

    @Bean
    OptionalModules.JwtSupport aiGatewayJwtCallerResolver() {
      return new JwtCallerResolverFactory();
    }
  }

  /** Governs Spring AI's OpenAI chat, embedding and other models (spring-ai-openai 2.x). */
  @Configuration(proxyBeanMethods = false)
  @ConditionalOnClass(
      name = "org.springframework.ai.openai.http.okhttp.OpenAiHttpClientBuilderCustomizer")
  @ConditionalOnBooleanProperty(name = "ai-gateway.govern-spring-ai", matchIfMissing = true)
  public static class SpringAiOpenAi {

    /** Created by Spring. */
    public SpringAiOpenAi() {}

    /**
     * Adds the gateway's interceptor, and the advice that keeps the SDK from retrying a rejection
     * it cannot wait out, to every OkHttp client Spring AI's OpenAI auto-configuration builds; the
     * gateway is looked up once the singletons are made (or on a client's first call).
     */
    @Bean
    public OpenAiHttpClientBuilderCustomizer aiGatewayOpenAiHttpClientCustomizer(
        ObjectProvider<AiGateway> gateway) {
      return new Customizer(new LazyGatewayInterceptor(gateway));
    }

    /** The customizer, which looks the gateway up once the singletons are made. */
    static final class Customizer extends LazyGatewayInterceptor.LookedUpLate
        implements OpenAiHttpClientBuilderCustomizer {

      Customizer(LazyGatewayInterceptor governed) {
        super(governed);
      }

      @Override
      public void customize(SpringAiOpenAiHttpClient.Builder builder) {
        builder
            .interceptor(new SdkRetryAdvice(SdkRetryAdvice.OPENAI_JAVA_LONGEST_HONOURED_WAIT))
            .interceptor(governed());
      }
    }
  }

  /** Governs Spring AI's Anthropic chat model (spring-ai-anthropic 2.x, on the Anthropic SDK). */
  @Configuration(proxyBeanMethods = false)
  @ConditionalOnClass(
      name = "org.springframework.ai.anthropic.http.okhttp.AnthropicHttpClientBuilderCustomizer")
  @ConditionalOnBooleanProperty(name = "ai-gateway.govern-spring-ai", matchIfMissing = true)
  public static class SpringAiAnthropic {

    /** Created by Spring. */
    public SpringAiAnthropic() {}

    /**
     * Adds the gateway's interceptor, and the advice that keeps the SDK from retrying a rejection
     * it cannot wait out, to every OkHttp client Spring AI's Anthropic auto-configuration builds;
     * the gateway is looked up once the singletons are made (or on a client's first call).
     */
    @Bean
    public AnthropicHttpClientBuilderCustomizer aiGatewayAnthropicHttpClientCustomizer(
        ObjectProvider<AiGateway> gateway) {
      return new Customizer(new LazyGatewayInterceptor(gateway));
    }

    /** The customizer, which looks the gateway up once the singletons are made. */
    static final class Customizer extends LazyGatewayInterceptor.LookedUpLate
        implements AnthropicHttpClientBuilderCustomizer {

      Customizer(LazyGatewayInterceptor governed) {
        super(governed);
      }

      @Override
      public void customize(SpringAiAnthropicHttpClient.Builder builder) {
        builder.interceptor(new SdkRetryAdvice()).interceptor(governed());
      }
    }
  }
}
