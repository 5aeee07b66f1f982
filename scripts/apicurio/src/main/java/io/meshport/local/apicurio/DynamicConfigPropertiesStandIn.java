package io.meshport.local.apicurio;

import java.util.List;

import javax.enterprise.inject.Produces;
import javax.inject.Singleton;

import io.apicurio.common.apps.config.DynamicConfigPropertyList;

/**
 * Stands in for apicurio-common-app-components-config-index, whose build step (not on Maven Central) lists the
 * settings that Apicurio's admin API may change at run time. None here: every setting keeps its start-up value.
 */
public class DynamicConfigPropertiesStandIn {
    @Produces
    @Singleton
    DynamicConfigPropertyList dynamicConfigProperties() {
        return new DynamicConfigPropertyList(List.of());
    }
}
