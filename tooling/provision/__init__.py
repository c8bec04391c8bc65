"""What a deployment is made of, generated from the code and the catalogue, by target:
RabbitMQ (the departments' queues and users), Kubernetes (the workloads of every service and
relay) and the alert rules (the PrometheusRule)."""
