from django.apps import AppConfig


class TicketsConfig(AppConfig):
    name = "marquee.tickets"
    label = "tickets"
