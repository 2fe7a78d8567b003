"""REST API of accounts: who am I (used by the front end and API clients)."""

from typing import cast

from rest_framework import serializers
from rest_framework.generics import RetrieveAPIView

from accounts.models import User
from accounts.roles import user_role


class MeSerializer(serializers.ModelSerializer):
    display_name = serializers.CharField(source="get_display_name", read_only=True)
    role = serializers.SerializerMethodField()
    language = serializers.CharField(
        read_only=True, help_text="ru, en, or empty for the site's default language."
    )

    class Meta:
        model = User
        fields = (
            "id",
            "username",
            "display_name",
            "email",
            "role",
            "is_staff",
            "language",
            "theme",
            "department",
            "employee_number",
        )
        read_only_fields = fields

    def get_role(self, user: User) -> str | None:
        if user.is_superuser:
            return "admin"
        role = user_role(user)
        return role.value if role else None


class MeView(RetrieveAPIView):
    serializer_class = MeSerializer

    def get_object(self) -> User:
        return cast(User, self.request.user)  # the API lets only signed-in users in
