package dev.aigateway.spring;

import dev.aigateway.api.GatewayListener;
import dev.aigateway.api.spi.ResponseCacheStore;
import dev.aigateway.api.spi.TokenLimitStore;
import dev.aigateway.core.AiGateway;
import dev.aigateway.core.telemetry.PromptLog;
import dev.aigateway.okhttp.OkHttpAiGateway;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import okhttp3.OkHttpClient;
import org.jspecify.annotations.Nullable;
import org.springframework.beans.factory.BeanFactory;
import org.springframework.beans.factory.BeanFactoryAware;
import org.springframework.beans.factory.BeanFactoryUtils;
import org.springframework.beans.factory.ListableBeanFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.SmartInitializingSingleton;
import org.springframework.beans.factory.config.BeanPostProcessor;
import org.springframework.beans.factory.config.ConfigurableListableBeanFactory;

/**
 * Replaces each {@link OkHttpClient} bean by the same client plus the gateway ({@link
 * OkHttpAiGateway#wrapLazily}): its pool, dispatcher, TLS and timeouts are kept. The gateway bean
 * is looked up once the singletons are made (or on the client's first call, if that comes first),
 * not when the client bean is made, so a listener, store or customizer the gateway is built with
 * may itself use the application's client (no circular reference), and this post-processor creates
 * nothing early. A client bean is left as it is when the context has no {@link AiGateway} bean;
 * several without a {@code @Primary} one fail startup, naming them, once the singletons are made.
 */
final class OkHttpClientWrapper
    implements BeanPostProcessor, BeanFactoryAware, SmartInitializingSingleton {

  private final ObjectProvider<AiGateway> gateway;
  private @Nullable ListableBeanFactory beans;

  /** The clients wrapped so far, until the gateway is looked up once the singletons are made. */
  private final List<OkHttpClient> wrapped = new CopyOnWriteArrayList<>();

  /** The names of the client beans wrapped so far, until the singletons are made. */
  private final List<String> wrappedNames = new CopyOnWriteArrayList<>();

  /** Whether the singletons are made: a client bean made later (a prototype) is wrapped at once. */
  private volatile boolean started;

  OkHttpClientWrapper(ObjectProvider<AiGateway> gateway) {
    this.gateway = gateway;
  }

  @Override
  public void setBeanFactory(BeanFactory beanFactory) {
    beans = beanFactory instanceof ListableBeanFactory listable ? listable : null;
  }

  @Override
  public Object postProcessAfterInitialization(Object bean, String beanName) {
    if (!(bean instanceof OkHttpClient client) || OkHttpAiGateway.isGoverned(client)) {
      return bean;
    }
    ListableBeanFactory factory = beans;
    if (factory != null
        && BeanFactoryUtils.beanNamesForTypeIncludingAncestors(
                    factory, AiGateway.class, true, false)
                .length
            == 0) {
      return bean;
    }
    if (started) {
      return OkHttpAiGateway.wrap(client, gateway.getObject());
    }
    OkHttpClient governed = OkHttpAiGateway.wrapLazily(client, gateway::getObject);
    wrapped.add(governed);
    wrappedNames.add(beanName);
    return governed;
  }

  /**
   * Looks the gateway up for every wrapped client once every singleton is made: a client whose
   * gateway cannot be found (several {@link AiGateway} beans, none {@code @Primary}) fails startup
   * instead of its first call, and the first wrapped client becomes the client of the semantic
   * cache's {@code OkHttpEmbeddingModel} (when it has none) as {@link OkHttpAiGateway#wrap} makes
   * it, whether or not a call goes through that client. Each wrapped client bean then depends on
   * the context's prompt log, store, listener and meter registry beans ({@link
   * #closeGatewayBeansAfter}).
   */
  @Override
  public void afterSingletonsInstantiated() {
    started = true;
    if (wrapped.isEmpty()) {
      return;
    }
    AiGateway governing = gateway.getObject();
    for (OkHttpClient client : wrapped) {
      OkHttpAiGateway.wrap(client, governing); // looks the gateway up: returns the same client
    }
    wrapped.clear();
    closeGatewayBeansAfter(beans, wrappedNames);
    wrappedNames.clear();
  }

  /**
   * Makes each of {@code beanNames} depend on every {@link PromptLog}, {@link TokenLimitStore},
   * {@link ResponseCacheStore}, {@link GatewayListener} and {@link MeterRegistry} bean (the beans
   * the gateway is built with), so closing the context destroys those beans, and the beans that use
   * them (a service that waits for its calls), before it closes a prompt log, a store, a listener
   * or the registry the token metrics are recorded in. The gateway takes them when it is built,
   * which may be after the beans that use a governed client were made (the gateway is looked up
   * once the singletons are made): without this, they could be destroyed first, and a call ending
   * while the context closed was missing from the log, settled in a closed store, its event sent to
   * a closed listener or its tokens recorded after a push registry had sent its last metrics. A
   * bean that itself uses one of {@code beanNames} (a listener that posts with the application's
   * client) is left as it is.
   */
  static void closeGatewayBeansAfter(
      @Nullable ListableBeanFactory factory, Iterable<String> beanNames) {
    if (!(factory instanceof ConfigurableListableBeanFactory configurable)) {
      return;
    }
    for (Class<?> type :
        List.of(
            PromptLog.class,
            TokenLimitStore.class,
            ResponseCacheStore.class,
            GatewayListener.class,
            MeterRegistry.class)) {
      for (String used :
          BeanFactoryUtils.beanNamesForTypeIncludingAncestors(configurable, type, true, false)) {
        for (String beanName : beanNames) {
          if (!beanName.equals(used) && !dependsOn(configurable, used, beanName, new HashSet<>())) {
            configurable.registerDependentBean(used, beanName);
          }
        }
      }
    }
  }

  /** Whether bean {@code name} depends, directly or not, on bean {@code other}. */
  private static boolean dependsOn(
      ConfigurableListableBeanFactory factory, String name, String other, Set<String> seen) {
    if (!seen.add(name)) {
      return false;
    }
    for (String dependency : factory.getDependenciesForBean(name)) {
      if (dependency.equals(other) || dependsOn(factory, dependency, other, seen)) {
        return true;
      }
    }
    return false;
  }
}
