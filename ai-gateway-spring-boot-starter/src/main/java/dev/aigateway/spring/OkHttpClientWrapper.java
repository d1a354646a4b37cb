package dev.aigateway.spring;

import dev.aigateway.core.AiGateway;
import dev.aigateway.okhttp.OkHttpAiGateway;
import okhttp3.OkHttpClient;
import org.jspecify.annotations.Nullable;
import org.springframework.beans.factory.BeanFactory;
import org.springframework.beans.factory.BeanFactoryAware;
import org.springframework.beans.factory.BeanFactoryUtils;
import org.springframework.beans.factory.ListableBeanFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.SmartInitializingSingleton;
import org.springframework.beans.factory.config.BeanPostProcessor;

/**
 * Replaces each {@link OkHttpClient} bean by the same client plus the gateway ({@link
 * OkHttpAiGateway#wrapLazily}): its pool, dispatcher, TLS and timeouts are kept. The gateway bean
 * is looked up on the client's first call, not when the client bean is made, so a listener, store
 * or customizer the gateway is built with may itself use the application's client (no circular
 * reference), and this post-processor creates nothing early. A client bean is left as it is when
 * the context has no {@link AiGateway} bean; several without a {@code @Primary} one fail startup,
 * naming them, once the singletons are made.
 */
final class OkHttpClientWrapper
    implements BeanPostProcessor, BeanFactoryAware, SmartInitializingSingleton {

  private final ObjectProvider<AiGateway> gateway;
  private @Nullable ListableBeanFactory beans;
  private volatile boolean wrappedAny;

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
    wrappedAny = true;
    return OkHttpAiGateway.wrapLazily(client, gateway::getObject);
  }

  /**
   * Looks the gateway up once every singleton is made, so a wrapped client whose gateway cannot be
   * found (several {@link AiGateway} beans, none {@code @Primary}) fails startup instead of its
   * first call.
   */
  @Override
  public void afterSingletonsInstantiated() {
    if (wrappedAny) {
      gateway.getObject();
    }
  }
}
