"""Russian: times always with their timezone ("E" is the month's genitive: "22 ноября")."""

DATETIME_FORMAT = "j E Y, H:i T"
SHORT_DATETIME_FORMAT = "d.m.Y H:i T"
