package dev.aigateway.spring;

import dev.aigateway.core.AiGateway;
import dev.aigateway.okhttp.OkHttpAiGateway;
import okhttp3.OkHttpClient;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.config.BeanPostProcessor;

/**
 * Replaces each {@link OkHttpClient} bean by the same client plus the gateway ({@link
 * OkHttpAiGateway#wrap}): its pool, dispatcher, TLS and timeouts are kept. The gateway is looked up
 * only when the first client bean appears, so this post-processor creates nothing early.
 */
final class OkHttpClientWrapper implements BeanPostProcessor {

  private final ObjectProvider<AiGateway> gateway;

  OkHttpClientWrapper(ObjectProvider<AiGateway> gateway) {
    this.gateway = gateway;
  }

  @Override
  public Object postProcessAfterInitialization(Object bean, String beanName) {
    if (!(bean instanceof OkHttpClient client) || OkHttpAiGateway.isGoverned(client)) {
      return bean;
    }
    AiGateway governing = gateway.getIfUnique();
    return governing == null ? bean : OkHttpAiGateway.wrap(client, governing);
  }
}
