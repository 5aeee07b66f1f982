//! Kafka admin through rdkafka: the only module that knows rdkafka.
