// Every page of the app and the path it lives at. `public` pages need no sign-in.
import type { Component } from "svelte";
import ForgotPassword from "./pages/auth/ForgotPassword.svelte";
import Login from "./pages/auth/Login.svelte";
import Register from "./pages/auth/Register.svelte";
import ResetPassword from "./pages/auth/ResetPassword.svelte";
import VerifyEmail from "./pages/auth/VerifyEmail.svelte";
import CharacterEditor from "./pages/characters/CharacterEditor.svelte";
import CharacterView from "./pages/characters/CharacterView.svelte";
import ImportCard from "./pages/characters/ImportCard.svelte";
import Marketplace from "./pages/characters/Marketplace.svelte";
import MyCharacters from "./pages/characters/MyCharacters.svelte";
import ChatList from "./pages/chats/ChatList.svelte";
import ChatView from "./pages/chats/ChatView.svelte";
import NewChat from "./pages/chats/NewChat.svelte";
import CharacterKnowledge from "./pages/knowledge/CharacterKnowledge.svelte";
import DataBank from "./pages/knowledge/DataBank.svelte";
import ApiKeys from "./pages/settings/ApiKeys.svelte";
import Personas from "./pages/settings/Personas.svelte";
import Profile from "./pages/settings/Profile.svelte";
import Usage from "./pages/settings/Usage.svelte";
import MyPlan from "./pages/settings/Plan.svelte";
import Pricing from "./pages/plans/Pricing.svelte";
import Admin from "./pages/admin/Admin.svelte";
import SessionList from "./pages/sessions/SessionList.svelte";
import SessionView from "./pages/sessions/SessionView.svelte";
import TaskList from "./pages/tasks/TaskList.svelte";
import TaskView from "./pages/tasks/TaskView.svelte";

export type Page = Component<{ params: Record<string, string> }>;

export interface Route {
  path: string;
  page: Page;
  title: string;
  public?: boolean;
  /** A narrow column (the sign-in pages). */
  narrow?: boolean;
}

export const routes: Route[] = [
  { path: "/login", page: Login, title: "Sign in", public: true, narrow: true },
  { path: "/register", page: Register, title: "Create an account", public: true, narrow: true },
  { path: "/verify-email", page: VerifyEmail, title: "Verify your e-mail", public: true, narrow: true },
  { path: "/forgot-password", page: ForgotPassword, title: "Forgot password", public: true, narrow: true },
  { path: "/reset-password", page: ResetPassword, title: "Choose a new password", public: true, narrow: true },
  { path: "/characters", page: MyCharacters, title: "My characters" },
  { path: "/characters/new", page: CharacterEditor, title: "New character" },
  { path: "/characters/import", page: ImportCard, title: "Import a card" },
  { path: "/characters/:id", page: CharacterView, title: "Character" },
  { path: "/characters/:id/edit", page: CharacterEditor, title: "Edit character" },
  { path: "/characters/:id/knowledge", page: CharacterKnowledge, title: "Knowledge and memories" },
  { path: "/marketplace", page: Marketplace, title: "Marketplace" },
  { path: "/chats", page: ChatList, title: "Chats" },
  { path: "/chats/new", page: NewChat, title: "New chat" },
  { path: "/chats/:id", page: ChatView, title: "Chat" },
  { path: "/sessions", page: SessionList, title: "Sessions" },
  { path: "/sessions/:id", page: SessionView, title: "Session" },
  { path: "/tasks", page: TaskList, title: "Tasks" },
  { path: "/tasks/:id", page: TaskView, title: "Task" },
  { path: "/knowledge", page: DataBank, title: "My documents" },
  { path: "/settings", page: Profile, title: "Profile" },
  { path: "/settings/personas", page: Personas, title: "Personas" },
  { path: "/settings/api-keys", page: ApiKeys, title: "API keys" },
  { path: "/settings/usage", page: Usage, title: "Usage" },
  { path: "/settings/plan", page: MyPlan, title: "My plan" },
  { path: "/plans", page: Pricing, title: "Plans and pricing", public: true },
  { path: "/admin", page: Admin, title: "Admin" },
];
